import { waitUntil } from '@starminer/testing';
import { type Pool } from 'pg';
import { deadLetterTopic } from '../src/catalogue/topics';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import {
  databaseUrl,
  dropSchema,
  effectCounts,
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
import { TcpProxy } from './support/tcp-proxy';

/** Sends `n` JobQueued events over `streams` jobs; returns their ids. */
async function produce(bus: KafkaJsBus, topic: string, n: number, tag: string): Promise<string[]> {
  const producer = bus.producer();
  await producer.connect();
  const msgs = Array.from({ length: n }, (_, i) =>
    jobQueuedMessage(topic, `job-${tag}-${i % 50}`, Math.floor(i / 50) + 1),
  );
  for (let i = 0; i < msgs.length; i += 500)
    await producer.send(msgs.slice(i, i + 500).map((m) => m.message));
  await producer.disconnect();
  return msgs.map((m) => m.eventId);
}

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(240_000);

describe('EventConsumer while its Postgres is gone (TCP proxy cut)', () => {
  let pool: Pool; // direct, for setup and assertions
  let proxied: Pool; // the consumer's, through the proxy
  let proxy: TcpProxy;
  let bus: KafkaJsBus;
  let schema: string;
  const topic = uniqueName('t_pgdown');
  const groupId = uniqueName('g_pgdown');

  beforeAll(async () => {
    pool = newPool();
    schema = await newSchema(pool, 'pgdown');
    const url = new URL(databaseUrl());
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    const port = await proxy.start();
    url.hostname = '127.0.0.1';
    url.port = String(port);
    proxied = newPool(url.toString(), 4);
    bus = newBus('pgdown-test');
    await bus.ensureTopics([{ topic, numPartitions: 3 }]);
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await proxied.end().catch(() => undefined);
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, schema);
    await pool.end();
    await proxy.cut();
  });

  it('turns not-ready, then drains everything when Postgres is back', async () => {
    const consumer = new EventConsumer({
      bus,
      pool: proxied,
      schema,
      groupId,
      topics: [topic],
      registry,
      scope,
      logger: testLogger,
      backoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
      handler: recordEffect(schema, 'c1'),
    });
    await consumer.start();
    try {
      const first = await produce(bus, topic, 500, 'a');
      await waitUntil('first events applied', async () =>
        (await effectCounts(pool, schema)).size === 500 ? true : undefined,
      );
      await waitUntil('ready', () =>
        consumer
          .readiness()
          .check()
          .then(() => true),
      );

      await proxy.cut();
      const second = await produce(bus, topic, 1_500, 'b');
      const reason = await waitUntil('not ready', () =>
        consumer
          .readiness()
          .check()
          .then(
            () => undefined,
            (err: Error) => err.message,
          ),
      );
      expect(reason).toMatch(/stalled|postgres/i);
      // Stays down a while: retries must neither skip nor dead-letter anything.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(consumer.stats.deadLettered).toBe(0);

      await proxy.restore();
      const effects = await waitUntil(
        'everything applied',
        async () => {
          const counts = await effectCounts(pool, schema);
          return counts.size === 2_000 ? counts : undefined;
        },
        { timeoutMs: 120_000 },
      );
      expect([...effects.keys()].sort()).toEqual([...first, ...second].sort());
      expect([...effects.values()].filter((n) => n !== 1)).toEqual([]);
      await waitUntil(
        'ready again',
        () =>
          consumer
            .readiness()
            .check()
            .then(() => true),
        { timeoutMs: 60_000 },
      );
      await waitUntil('lag 0', async () =>
        (await bus.lag(groupId, [topic])) === 0 ? true : undefined,
      );
      expect(consumer.stats.retries).toBeGreaterThan(0);
    } finally {
      await consumer.stop();
    }
  });
});
