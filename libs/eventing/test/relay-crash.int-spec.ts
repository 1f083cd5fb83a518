import { waitUntil } from '@starminer/testing';
import { type Pool } from 'pg';
import { eventsV1 } from '@starminer/proto';
import { EventRegistry } from '../src/catalogue/registry';
import { deadLetterTopic } from '../src/catalogue/topics';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import { PgEventStore } from '../src/postgres/event-store';
import { withTransaction } from '../src/postgres/transaction';
import {
  databaseUrl,
  dropSchema,
  effectCounts,
  jobOrigin,
  jobQueued,
  newBus,
  newPool,
  newSchema,
  recordEffect,
  scope,
  testLogger,
  uniqueName,
} from './support/harness';
import { kill, startRelay } from './support/relay-process';

const TOTAL = 5_000;
const PER_TX = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(240_000);

describe('outbox relay killed with SIGKILL at random points', () => {
  let pool: Pool;
  let bus: KafkaJsBus;
  let producerSchema: string;
  let consumerSchema: string;
  const topic = uniqueName('t_relay');
  const groupId = uniqueName('g_relay');
  // The catalogue's JobQueued (published by the matchmaker), routed to this run's own topic.
  const registry = new EventRegistry().register('JobQueued', eventsV1.JobQueued, {
    topic,
    producer: jobOrigin.producer,
  });

  beforeAll(async () => {
    pool = newPool(databaseUrl(), 10);
    bus = newBus('relay-crash-test');
    producerSchema = await newSchema(pool, 'relay_src');
    consumerSchema = await newSchema(pool, 'relay_dst');
    await bus.ensureTopics([{ topic, numPartitions: 4 }]);
  });

  afterAll(async () => {
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, producerSchema);
    await dropSchema(pool, consumerSchema);
    await pool.end();
  });

  it('publishes every committed event exactly once in effect, and no rolled-back one', async () => {
    const store = new PgEventStore(pool, producerSchema, registry, jobOrigin);
    const committed: string[] = [];
    const rolledBack: string[] = [];
    const consumer = new EventConsumer({
      bus,
      pool,
      schema: consumerSchema,
      groupId,
      topics: [topic],
      registry,
      scope,
      logger: testLogger,
      handler: recordEffect(consumerSchema, 'c1'),
    });
    await consumer.start();

    // Four writers, each on its own 50 streams; every fourth transaction rolls back after
    // appending. Short pauses spread the writes over enough relay lifetimes to kill.
    let reserved = 0;
    const newEvents = (stream: string) => Array.from({ length: PER_TX }, () => jobQueued(stream));
    const writer = async (w: number) => {
      for (let tx = 0; ; tx++) {
        const stream = `job-w${w}-${tx % 50}`;
        await sleep(20);
        if (tx % 4 === 3) {
          // The append succeeds but its transaction fails after it: none of it may be published.
          await withTransaction(pool, async (t) => {
            const appended = await store.appendInTransaction(t, stream, 'any', newEvents(stream));
            rolledBack.push(...appended.envelopes.map((e) => e.eventId));
            throw new Error('roll back on purpose');
          }).catch((err: Error) => {
            if (err.message !== 'roll back on purpose') throw err;
          });
          continue;
        }
        if ((reserved += PER_TX) > TOTAL) return;
        const { envelopes } = await store.append(stream, 'any', newEvents(stream));
        committed.push(...envelopes.map((e) => e.eventId));
      }
    };

    let writing = true;
    const killer = (async () => {
      let kills = 0;
      while (writing) {
        const relay = await startRelay(producerSchema);
        await sleep(150 + Math.random() * 900);
        await kill(relay);
        kills++;
      }
      return kills;
    })();
    const started = Date.now();
    await Promise.all([0, 1, 2, 3].map(writer));
    const writeMs = Date.now() - started;
    // A few more kills while the backlog drains, then one relay left to finish.
    await sleep(2_000);
    writing = false;
    const kills = await killer;
    const lastRelay = await startRelay(producerSchema);
    try {
      await waitUntil(
        'outbox drained',
        async () => {
          const r = await pool.query(
            `SELECT count(*)::int AS n FROM "${producerSchema}".outbox WHERE published_at IS NULL`,
          );
          return r.rows[0].n === 0 ? true : undefined;
        },
        { timeoutMs: 120_000 },
      );
      const effects = await waitUntil(
        'all committed events applied',
        async () => {
          const counts = await effectCounts(pool, consumerSchema);
          return counts.size >= TOTAL ? counts : undefined;
        },
        { timeoutMs: 120_000 },
      );
      await waitUntil('lag 0', async () =>
        (await bus.lag(groupId, [topic])) === 0 ? true : undefined,
      );
      expect(committed).toHaveLength(TOTAL);
      expect(effects.size).toBe(TOTAL);
      expect([...effects.keys()].sort()).toEqual([...committed].sort());
      expect([...effects.values()].filter((n) => n !== 1)).toEqual([]);
      const leaked = rolledBack.filter((id) => effects.has(id));
      expect(leaked).toEqual([]);
      expect(consumer.stats.deadLettered).toBe(0);
      expect(consumer.stats.refused).toBe(0);
      console.info(
        `relay crash test: ${TOTAL} committed + ${rolledBack.length} rolled back in ${writeMs} ms, ` +
          `${kills} SIGKILLs, ${consumer.stats.duplicates} redelivered duplicates absorbed by the inbox`,
      );
    } finally {
      await kill(lastRelay);
      await consumer.stop();
    }
  });
});
