import { waitUntil } from '@starminer/testing';
import { type Pool } from 'pg';
import { deadLetterTopic } from '../src/catalogue/topics';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import { type StarminerEvent } from '../src/catalogue/starminer-events';
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

const TOTAL = 20_000;
const CHUNK = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(300_000);

describe('rebalance storm: consumers join and leave while 20,000 events flow', () => {
  let pool: Pool;
  let bus: KafkaJsBus;
  let schema: string;
  const topic = uniqueName('t_storm');
  const groupId = uniqueName('g_storm');

  beforeAll(async () => {
    pool = newPool(databaseUrl(), 12);
    bus = newBus('storm-test');
    schema = await newSchema(pool, 'storm');
    await bus.ensureTopics([{ topic, numPartitions: 8 }]);
  });

  afterAll(async () => {
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('applies every event exactly once and the lag returns to zero', async () => {
    let serial = 0;
    const members: Array<EventConsumer<StarminerEvent>> = [];
    const join = async () => {
      const consumer = new EventConsumer({
        bus,
        pool,
        schema,
        groupId,
        topics: [topic],
        registry,
        scope,
        logger: testLogger,
        sessionTimeoutMs: 10_000,
        handler: recordEffect(schema, `c${++serial}`),
      });
      await consumer.start();
      members.push(consumer);
    };
    const leave = async () => {
      const i = Math.floor(Math.random() * members.length);
      const [consumer] = members.splice(i, 1);
      await consumer!.stop();
      return consumer!;
    };

    await join();
    await join();
    const sent: string[] = [];
    const started = Date.now();
    const producing = (async () => {
      const producer = bus.producer();
      await producer.connect();
      for (let i = 0; i < TOTAL; i += CHUNK) {
        // 400 jobs, each an ordered stream of 50 events.
        const msgs = Array.from({ length: CHUNK }, (_, k) =>
          jobQueuedMessage(topic, `job-${(i + k) % 400}`, Math.floor((i + k) / 400) + 1),
        );
        await producer.send(msgs.map((m) => m.message));
        sent.push(...msgs.map((m) => m.eventId));
        await sleep(400);
      }
      await producer.disconnect();
    })();

    // The storm: every 1-2.5 s a member joins or leaves, between 1 and 4 members, until the
    // producer is done and a few more rounds after.
    let rebalances = 0;
    const left: Array<EventConsumer<StarminerEvent>> = [];
    let producerDone = false;
    void producing.then(() => (producerDone = true));
    for (let after = 0; !producerDone || after++ < 3;) {
      await sleep(1_000 + Math.random() * 1_500);
      const shouldJoin = members.length <= 1 || (members.length < 4 && Math.random() < 0.5);
      if (shouldJoin) await join();
      else left.push(await leave());
      rebalances++;
    }
    await producing;
    const flowMs = Date.now() - started;

    const effects = await waitUntil(
      'all events applied',
      async () => {
        const counts = await effectCounts(pool, schema);
        return counts.size >= TOTAL ? counts : undefined;
      },
      { timeoutMs: 180_000 },
    );
    await waitUntil(
      'lag 0',
      async () => ((await bus.lag(groupId, [topic])) === 0 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const all = [...members, ...left];
    const duplicates = all.reduce((n, c) => n + c.stats.duplicates, 0);
    try {
      expect(effects.size).toBe(TOTAL);
      expect([...effects.keys()].sort()).toEqual([...sent].sort());
      expect([...effects.values()].filter((n) => n !== 1)).toEqual([]);
      expect(all.reduce((n, c) => n + c.stats.deadLettered, 0)).toBe(0);
      console.info(
        `rebalance storm: ${TOTAL} events over ${flowMs} ms, ${rebalances} membership changes, ` +
          `${all.length} consumers in all, ${duplicates} redelivered duplicates absorbed by the inbox, ` +
          `${Math.round(TOTAL / ((Date.now() - started) / 1000))} events/s end to end`,
      );
    } finally {
      await Promise.all(members.map((c) => c.stop()));
    }
  });
});
