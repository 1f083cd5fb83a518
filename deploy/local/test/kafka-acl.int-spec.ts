import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer as KafkaConsumer } from 'kafkajs';
import {
  catalogueTopics,
  KafkaJsBus,
  silentLogger,
  Topics,
  type Consumer,
  type KafkaSasl,
} from '@starminer/eventing';
import { stackEnv, testBus, testTopicPrefix, waitUntil } from '@starminer/testing';

// The broker's ACLs as the local stack provisions them (kafka/acls.js, the script services.sh
// runs): each service's principal writes only the topics it owns and joins only its own groups,
// in the namespaces provisioned for it; a wrong password is refused.
const env = stackEnv();
const principalsFile = env.KAFKA_PRINCIPALS_FILE;
const aclsScript = path.join(__dirname, '..', 'kafka', 'acls.js');

// An external broker given without per-service principals enforces nothing this test can check.
const describeWithAcls = principalsFile ? describe : describe.skip;

function passwordOf(principal: string): string {
  const line = fs
    .readFileSync(principalsFile!, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${principal}=`));
  if (!line) throw new Error(`${principalsFile} holds no password for ${principal}`);
  return line.slice(principal.length + 1);
}

function busAs(principal: string, topicPrefix: string, password = passwordOf(principal)) {
  const sasl: KafkaSasl = {
    mechanism: env.KAFKA_SASL_MECHANISM as KafkaSasl['mechanism'],
    username: principal,
    password,
  };
  return new KafkaJsBus({
    clientId: `acl-test-${principal}`,
    brokers: env.KAFKA_BROKERS!.split(','),
    topicPrefix,
    sasl,
    logger: silentLogger,
  });
}

/** kafkajs wraps a broker's refusal (retriers, non-retriable wrappers): every type and message on the way down. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  let e = err as { type?: string; message?: string; originalError?: unknown; cause?: unknown };
  for (let depth = 0; e && depth < 5; depth++) {
    parts.push(`${e.type ?? ''} ${e.message ?? ''}`);
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return parts.join(' | ');
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    return describeError(err);
  }
  throw new Error('expected the broker to refuse');
}

function runAcls(cmd: 'ensure' | 'delete', prefix: string) {
  return promisify(execFile)(process.execPath, [aclsScript, cmd, prefix], {
    env: {
      ...process.env,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_SASL_MECHANISM: env.KAFKA_SASL_MECHANISM,
      KAFKA_USERNAME: env.KAFKA_USERNAME,
      KAFKA_PASSWORD: env.KAFKA_PASSWORD,
    },
  });
}

const value = (text: string) => Buffer.from(text);

describeWithAcls('Kafka ACLs of a namespace (SASL principals per service)', () => {
  const prefix = testTopicPrefix();
  // Another deployment's namespace: its topic exists, but nothing is granted in it.
  const otherPrefix = `t${randomBytes(4).toString('hex')}.`;
  const admin = testBus('acl-test-admin');
  const otherAdmin = testBus('acl-test-admin-other', { topicPrefix: otherPrefix });
  const buses: KafkaJsBus[] = [];
  const consumers: Consumer[] = [];
  const rawConsumers: KafkaConsumer[] = [];
  // The topics this test creates in its namespace (the rest of the catalogue never exists here).
  const created = [Topics.market, Topics.job, Topics.chain];
  const as = (principal: string, topicPrefix = prefix, password?: string) => {
    const bus = busAs(principal, topicPrefix, password);
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    await runAcls('ensure', prefix);
    // The topics other services own exist (the admin creates them), so a refusal is the ACL's.
    await admin.ensureTopics(catalogueTopics([Topics.job, Topics.chain]));
    await otherAdmin.ensureTopics(catalogueTopics([Topics.market]));
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    for (const c of rawConsumers) await c.disconnect().catch(() => undefined);
    for (const b of buses) await b.close();
    await runAcls('delete', prefix).catch(() => undefined);
    await admin.deleteTopics(created).catch(() => undefined);
    await otherAdmin.deleteTopics([Topics.market]).catch(() => undefined);
    await admin.close();
    await otherAdmin.close();
  });

  it("lets pricing create and write its market topic, and matchmaker read it in matchmaker's group", async () => {
    const pricing = as('pricing');
    await pricing.ensureTopics(catalogueTopics([Topics.market]));
    const producer = pricing.producer();
    await producer.connect();
    try {
      await producer.send([{ topic: Topics.market, key: 'gpu-a100', value: value('price') }]);
    } finally {
      await producer.disconnect();
    }

    const seen: string[] = [];
    const consumer = as('matchmaker').consumer({ groupId: 'matchmaker', sessionTimeoutMs: 10_000 });
    consumers.push(consumer);
    await consumer.start([Topics.market], async (batch) => {
      for (const m of batch.messages) seen.push(`${m.topic} ${m.key} ${m.value?.toString()}`);
      // Committing needs READ on the group and the topic.
      await batch.commit(batch.messages[batch.messages.length - 1]!.offset);
    });
    await waitUntil("matchmaker to read pricing's message", () =>
      seen.length > 0 ? true : undefined,
    );
    expect(seen).toEqual([`${Topics.market} gpu-a100 price`]);
    await waitUntil('the commit to land', async () =>
      (await admin.lag('matchmaker', [Topics.market])) === 0 ? true : undefined,
    );
  });

  it("refuses pricing's writes to the job and chain topics and to another namespace's market topic", async () => {
    const producer = as('pricing').producer();
    await producer.connect();
    try {
      for (const topic of [Topics.job, Topics.chain])
        expect(
          await refusal(producer.send([{ topic, key: 'job-1', value: value('forged') }])),
        ).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }

    const elsewhere = as('pricing', otherPrefix).producer();
    await elsewhere.connect();
    try {
      expect(
        await refusal(
          elsewhere.send([{ topic: Topics.market, key: 'gpu-a100', value: value('forged') }]),
        ),
      ).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await elsewhere.disconnect();
    }
  });

  it('refuses matchmaker writing the market topic it reads', async () => {
    const producer = as('matchmaker').producer();
    await producer.connect();
    try {
      expect(
        await refusal(
          producer.send([{ topic: Topics.market, key: 'gpu-a100', value: value('forged') }]),
        ),
      ).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
  });

  it("refuses matchmaker joining another namespace's group", async () => {
    // A plain kafkajs consumer: the bus would put the topic under the same prefix as the group.
    // kafkajs reports a refused coordinator lookup only as "Failed to find group coordinator";
    // the broker's reason (the error code of FindCoordinator) is in its debug log.
    const brokerErrors: string[] = [];
    const kafka = new Kafka({
      clientId: 'acl-test-matchmaker-raw',
      brokers: env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.DEBUG,
      logCreator:
        () =>
        ({ log }) => {
          if (log.error) brokerErrors.push(describeError(log.error));
        },
      sasl: {
        mechanism: env.KAFKA_SASL_MECHANISM as 'plain',
        username: 'matchmaker',
        password: passwordOf('matchmaker'),
      },
    });
    const consumer = kafka.consumer({
      groupId: `${otherPrefix}matchmaker`,
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    rawConsumers.push(consumer);
    let crash: string | undefined;
    consumer.on(consumer.events.CRASH, (e) => {
      crash = describeError(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}${Topics.market}`, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    expect(await waitUntil('the join to fail', () => crash)).toContain(
      'Failed to find group coordinator',
    );
    expect(brokerErrors.join('\n')).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('refuses a client with a wrong password', async () => {
    const bus = as('pricing', prefix, 'not-the-password');
    expect(await refusal(bus.ping())).toMatch(/SASL PLAIN authentication failed/i);
  });
});
