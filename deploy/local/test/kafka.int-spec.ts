import { Kafka, logLevel, type Consumer, type SASLOptions } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from '@starminer/eventing';
import { testBus, testKafkaEnv, testTopicPrefix, waitUntil } from '@starminer/testing';

// Smoke test of the stack's Kafka broker (KRaft): it is up, the platform's bus round-trips a
// message in a test namespace (topics and groups under this file's prefix: the stack pre-creates
// no topic, each deployment creates its own), idempotent produce, consumption through a consumer
// group, and a rebalance when a second member joins the group.
describe('Kafka', () => {
  const env = testKafkaEnv();
  const prefix = testTopicPrefix();
  const mechanism = env.KAFKA_SASL_MECHANISM;
  const kafka = new Kafka({
    clientId: 'stack-smoke',
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
    ...(mechanism && mechanism !== 'none'
      ? {
          sasl: {
            mechanism,
            username: env.KAFKA_USERNAME ?? '',
            password: env.KAFKA_PASSWORD ?? '',
          } as SASLOptions,
        }
      : {}),
  });
  // The broker's names of this file's namespace.
  const topic = `${prefix}smoke.${randomUUID()}`;
  const group = `${prefix}smoke-${randomUUID()}`;
  const admin = kafka.admin();
  const consumers: Consumer[] = [];
  const bus = testBus('stack-smoke-bus');
  const busTopic = 'smoke.roundtrip.v1';

  beforeAll(async () => {
    if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not in stack.env: is the stack up?');
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  });
  afterAll(async () => {
    for (const c of consumers) await c.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await bus.deleteTopics([busTopic]).catch(() => undefined);
    await bus.close();
    await admin.disconnect();
  });

  it('is up: the broker answers metadata and has a controller', async () => {
    await expect(bus.ping()).resolves.toBeUndefined();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.controller).not.toBeNull();
  });

  it("round-trips a message through the platform's bus in the test's namespace", async () => {
    await bus.ensureTopics([{ topic: busTopic, numPartitions: 1 }]);
    // The bus created the topic under the namespace's prefix, not under its logical name.
    expect(await admin.listTopics()).toContain(`${prefix}${busTopic}`);

    const producer = bus.producer();
    await producer.connect();
    const key = randomUUID();
    await producer.send([
      { topic: busTopic, key, value: Buffer.from('hello'), headers: { 'event-id': key } },
    ]);
    await producer.disconnect();

    const received: IncomingMessage[] = [];
    const consumer = bus.consumer({ groupId: 'smoke-roundtrip', sessionTimeoutMs: 10_000 });
    await consumer.start([busTopic], async (batch) => {
      received.push(...batch.messages);
      await batch.commit(batch.messages[batch.messages.length - 1]!.offset);
    });
    try {
      const [message] = await waitUntil('the message back', () =>
        received.length > 0 ? received : undefined,
      );
      expect(message).toMatchObject({
        topic: busTopic,
        key,
        headers: { 'event-id': key },
      });
      expect(message!.value!.toString()).toBe('hello');
      await waitUntil('the group to commit it', async () =>
        (await bus.lag('smoke-roundtrip', [busTopic])) === 0 ? true : undefined,
      );
      // The group is the namespace's too.
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => g.groupId)).toContain(`${prefix}smoke-roundtrip`);
    } finally {
      await consumer.stop();
    }
  });

  function startConsumer(seen: Map<string, string>, assigned: { partitions: number[] }) {
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    consumers.push(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned.partitions = e.payload.memberAssignment[topic] ?? [];
    });
    return consumer
      .connect()
      .then(() => consumer.subscribe({ topic, fromBeginning: true }))
      .then(() =>
        consumer.run({
          eachMessage: async ({ message }) => {
            seen.set(message.key!.toString(), message.value!.toString());
          },
        }),
      )
      .then(() => consumer);
  }

  it('delivers produced messages through a consumer group and rebalances when a member joins', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (from: number, to: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: to - from }, (_, i) => ({
          key: `job-${from + i}`,
          value: `payload-${from + i}`,
        })),
      });

    const seenA = new Map<string, string>();
    const a = { partitions: [] as number[] };
    await startConsumer(seenA, a);
    await send(0, 100);
    await waitUntil('first consumer to read 100 messages', () =>
      seenA.size === 100 ? true : undefined,
    );
    expect(a.partitions.sort()).toEqual([0, 1, 2, 3]);

    const seenB = new Map<string, string>();
    const b = { partitions: [] as number[] };
    await startConsumer(seenB, b);
    await waitUntil('the group to rebalance over two members', () =>
      a.partitions.length === 2 && b.partitions.length === 2 ? true : undefined,
    );
    expect([...a.partitions, ...b.partitions].sort()).toEqual([0, 1, 2, 3]);

    await send(100, 200);
    await waitUntil('both members to read the next 100 messages', () =>
      [...seenA.keys(), ...seenB.keys()].filter((k) => Number(k.slice(4)) >= 100).length >= 100
        ? true
        : undefined,
    );
    expect(seenB.size).toBeGreaterThan(0);
    const all = new Map([...seenA, ...seenB]);
    for (let i = 0; i < 200; i++) expect(all.get(`job-${i}`)).toBe(`payload-${i}`);
    await producer.disconnect();
  });
});
