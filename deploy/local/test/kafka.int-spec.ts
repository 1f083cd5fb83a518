import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { requireStackVar, waitUntil } from '@starminer/testing';

// Smoke test of the stack's Kafka broker (KRaft): idempotent produce, consumption through a
// consumer group, and a rebalance when a second member joins the group.
describe('Kafka', () => {
  const kafka = new Kafka({
    clientId: 'stack-smoke',
    brokers: requireStackVar('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = `smoke.${randomUUID()}`;
  const group = `smoke-${randomUUID()}`;
  const admin = kafka.admin();
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  });
  afterAll(async () => {
    for (const c of consumers) await c.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
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
