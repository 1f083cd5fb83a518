// A consumer keeps to its own deployment on a shared broker (real Kafka and Postgres): events of
// another deployment, of no deployment, from a service that does not own their type, and chain
// events of a foreign chain or contract never reach the handler or the inbox; they are counted
// per reason and their offsets are committed. And deployments under different topic prefixes on
// one broker never see each other's messages, even with consumer groups of the same logical name.
import { standInDeployment, testBus, testTopicPrefix, waitUntil } from '@starminer/testing';
import { eventsV1 } from '@starminer/proto';
import { type Pool } from 'pg';
import { type StarminerEvent } from '../src/catalogue/starminer-events';
import { deadLetterTopic, Topics } from '../src/catalogue/topics';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type DropReason } from '../src/consumer/event-scope';
import { encodeEnvelope, type EventOrigin } from '../src/envelope';
import { type IncomingMessage, type OutgoingMessage } from '../src/kafka/ports';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import { silentLogger } from '../src/logger';
import { completeEnvelope } from '../src/postgres/outbox-writer';
import {
  deployment,
  dropSchema,
  jobOrigin,
  jobQueuedMessage,
  newBus,
  newPool,
  newSchema,
  recordEffect,
  registry,
  scope,
  testLogger,
  uniqueName,
} from './support/harness';

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(240_000);

/** Deployment A is the harness's (the consumer's own); B is another on the same broker. */
const other = standInDeployment();
const chainIndexerOfA = deployment.as('chain-indexer').origin;

/** A Staked chain event as an indexer would publish it, from `log.contract` on `log.chainId`. */
function stakedMessage(
  topic: string,
  origin: EventOrigin,
  log: { chainId: string; contract: string },
): { eventId: string; message: OutgoingMessage } {
  const provider = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
  const event: StarminerEvent = {
    ...eventsV1.Staked.fromPartial({
      log: {
        ...log,
        blockNumber: '7',
        blockHash: `0x${'ab'.repeat(32)}`,
        transactionHash: `0x${'cd'.repeat(32)}`,
        logIndex: 0,
      },
      provider,
      amount: { baseUnits: '100' },
      totalStaked: { baseUnits: '100' },
    }),
    type: 'Staked',
  };
  const env = completeEnvelope(registry, origin, provider, 0, event);
  return {
    eventId: env.eventId,
    message: { topic, key: provider, value: encodeEnvelope(registry, env), headers: {} },
  };
}

const chainIdOfA = String(deployment.deployments.chainId);
const stakingOfA = deployment.deployments.contracts.staking;

describe('EventConsumer scope (real Kafka and Postgres)', () => {
  let pool: Pool;
  let bus: KafkaJsBus;
  let schema: string;
  // One partition: the order of A's events is the order they were sent in.
  const topic = uniqueName('t_scope');
  const groupId = uniqueName('g_scope');

  beforeAll(async () => {
    pool = newPool();
    bus = newBus('scope-test');
    schema = await newSchema(pool, 'scope');
    await bus.ensureTopics([{ topic, numPartitions: 1 }]);
  });

  afterAll(async () => {
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it("applies only its deployment's events, in order and once; refuses, counts and skips past the rest", async () => {
    const own = [
      jobQueuedMessage(topic, 'job-a', 1),
      jobQueuedMessage(topic, 'job-a', 2),
      stakedMessage(topic, chainIndexerOfA, { chainId: chainIdOfA, contract: stakingOfA }),
      jobQueuedMessage(topic, 'job-a', 3),
      jobQueuedMessage(topic, 'job-a', 4),
    ];
    const foreign: Array<{ reason: DropReason; message: OutgoingMessage }> = [
      {
        reason: 'foreign_deployment',
        message: jobQueuedMessage(topic, 'job-b', 1, other.as('matchmaker').origin).message,
      },
      {
        reason: 'no_deployment',
        message: jobQueuedMessage(topic, 'job-x', 1, { deploymentId: '', producer: 'matchmaker' })
          .message,
      },
      {
        // JobQueued is the matchmaker's: the gateway of the same deployment may not publish it.
        reason: 'wrong_producer',
        message: jobQueuedMessage(topic, 'job-a', 3, deployment.as('gateway').origin).message,
      },
      {
        // A's own origin, but the log is of a Staking contract A does not have.
        reason: 'foreign_contract',
        message: stakedMessage(topic, chainIndexerOfA, {
          chainId: chainIdOfA,
          contract: other.deployments.contracts.staking,
        }).message,
      },
      {
        reason: 'foreign_chain',
        message: stakedMessage(topic, chainIndexerOfA, { chainId: '1', contract: stakingOfA })
          .message,
      },
    ];
    // A's events with a refused one between each two, and one refused at the end (its offset
    // must be committed although nothing after it is applied).
    const interleaved: OutgoingMessage[] = [];
    own.forEach((m, i) => {
      interleaved.push(m.message);
      if (foreign[i]) interleaved.push(foreign[i].message);
    });
    expect(interleaved).toHaveLength(own.length + foreign.length);
    expect(interleaved[interleaved.length - 1]).toBe(foreign[foreign.length - 1]!.message);

    const producer = bus.producer();
    await producer.connect();
    await producer.send(interleaved);

    const refusals: Array<{ topic: string; reason: DropReason }> = [];
    const handled: string[] = [];
    const effect = recordEffect(schema, 'c1');
    const consumer = new EventConsumer({
      bus,
      pool,
      schema,
      groupId,
      topics: [topic],
      registry,
      scope,
      onRefused: (r) => refusals.push(r),
      logger: testLogger,
      handler: async (env, tx) => {
        handled.push(env.eventId);
        await effect(env, tx);
      },
    });
    await consumer.start();
    try {
      await waitUntil('lag 0 after the first batch', async () =>
        (await bus.lag(groupId, [topic])) === 0 ? true : undefined,
      );
      const applied = await pool.query<{ event_id: string }>(
        `SELECT event_id FROM "${schema}".effects ORDER BY seq`,
      );
      // A's events, each once, in the order sent; nothing refused reached the handler.
      expect(applied.rows.map((r) => r.event_id)).toEqual(own.map((m) => m.eventId));
      expect(handled).toEqual(own.map((m) => m.eventId));
      const inbox = await pool.query<{ event_id: string }>(
        `SELECT event_id FROM "${schema}".inbox WHERE consumer_group = $1 ORDER BY kafka_offset`,
        [groupId],
      );
      expect(inbox.rows.map((r) => r.event_id)).toEqual(own.map((m) => m.eventId));

      expect(consumer.stats).toMatchObject({
        applied: own.length,
        refused: foreign.length,
        deadLettered: 0,
        duplicates: 0,
      });
      expect(refusals).toEqual(foreign.map((f) => ({ topic, reason: f.reason })));

      // A batch of refused events only: nothing applied, each counted, the offsets committed.
      const onlyForeign = [
        jobQueuedMessage(topic, 'job-b', 2, other.as('matchmaker').origin).message,
        jobQueuedMessage(topic, 'job-y', 1, { deploymentId: '', producer: '' }).message,
        jobQueuedMessage(topic, 'job-a', 5, { ...jobOrigin, producer: 'spillover' }).message,
      ];
      await producer.send(onlyForeign);
      await waitUntil('the refused-only batch counted', () =>
        consumer.stats.refused === foreign.length + onlyForeign.length ? true : undefined,
      );
      await waitUntil('lag 0 after the refused-only batch', async () =>
        (await bus.lag(groupId, [topic])) === 0 ? true : undefined,
      );
      expect(refusals.slice(foreign.length)).toEqual([
        { topic, reason: 'foreign_deployment' },
        { topic, reason: 'no_deployment' },
        { topic, reason: 'wrong_producer' },
      ]);
      const after = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".effects`);
      expect(after.rows[0].n).toBe(own.length);
      const inboxAfter = await pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".inbox WHERE consumer_group = $1`,
        [groupId],
      );
      expect(inboxAfter.rows[0].n).toBe(own.length);
      expect(handled).toHaveLength(own.length);
      await expect(consumer.readiness().check()).resolves.toBeUndefined();
    } finally {
      await producer.disconnect();
      await consumer.stop();
    }
  });
});

describe('two deployments sharing a broker under different topic prefixes', () => {
  // Two namespaces within this file's own, with the same logical topic and group names.
  const prefixes = ['ns-a.', 'ns-b.'].map((p) => `${testTopicPrefix()}${p}`);
  const group = 'matchmaker';
  const topic = Topics.job;
  const buses = prefixes.map((topicPrefix, i) =>
    testBus(`namespace-test-${i}`, { topicPrefix, logger: silentLogger }),
  );
  // The broker's own names, for checking what each namespace's group committed where.
  const root = testBus('namespace-test-root', { topicPrefix: '', logger: silentLogger });

  afterAll(async () => {
    for (const bus of buses) {
      await bus.deleteTopics([topic]).catch(() => undefined);
      await bus.close();
    }
    await root.close();
  });

  it("never delivers one namespace's messages to the other, and keeps their groups apart", async () => {
    const sent = prefixes.map((_, i) =>
      Array.from({ length: 20 }, (__, k) => ({
        topic,
        key: `ns${i}-${k}`,
        value: Buffer.from(`${i}`),
      })),
    );
    // B's messages are on the broker before A's consumer starts from the beginning.
    for (const [i, bus] of buses.entries()) {
      await bus.ensureTopics([{ topic, numPartitions: 3 }]);
      const producer = bus.producer();
      await producer.connect();
      await producer.send(sent[i]!);
      await producer.disconnect();
    }

    const seen: IncomingMessage[][] = [[], []];
    const consumers = buses.map((bus) =>
      bus.consumer({ groupId: group, sessionTimeoutMs: 10_000 }),
    );
    try {
      for (const [i, consumer] of consumers.entries())
        await consumer.start([topic], async (batch) => {
          seen[i]!.push(...batch.messages);
          await batch.commit(batch.messages[batch.messages.length - 1]!.offset);
        });
      for (const [i, bus] of buses.entries())
        await waitUntil(`namespace ${i}'s group to commit all it has`, async () =>
          (await bus.lag(group, [topic])) === 0 ? true : undefined,
        );

      for (const i of [0, 1]) {
        // Everything it has (the lag is 0) is its own, each once, under the logical topic name.
        expect(seen[i]!.map((m) => m.key).sort()).toEqual(sent[i]!.map((m) => m.key).sort());
        expect(new Set(seen[i]!.map((m) => m.topic))).toEqual(new Set([topic]));
      }
      // On the broker: each namespace's group committed on its own topic and never on the other's.
      const [a, b] = prefixes as [string, string];
      expect(await root.lag(`${a}${group}`, [`${a}${topic}`])).toBe(0);
      expect(await root.lag(`${b}${group}`, [`${b}${topic}`])).toBe(0);
      expect(await root.lag(`${a}${group}`, [`${b}${topic}`])).toBe(sent[1]!.length);
      expect(await root.lag(`${b}${group}`, [`${a}${topic}`])).toBe(sent[0]!.length);

      // Later messages still stay in their namespace.
      const late = { topic, key: 'ns1-late', value: Buffer.from('1') };
      const producer = buses[1]!.producer();
      await producer.connect();
      await producer.send([late]);
      await producer.disconnect();
      await waitUntil('the late message in namespace 1', () =>
        seen[1]!.some((m) => m.key === 'ns1-late') ? true : undefined,
      );
      expect(await buses[0]!.lag(group, [topic])).toBe(0);
      expect(seen[0]!.some((m) => m.key === 'ns1-late')).toBe(false);
      expect(seen[0]).toHaveLength(sent[0]!.length);
    } finally {
      for (const c of consumers) await c.stop();
    }
  });
});
