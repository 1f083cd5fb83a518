import { waitUntil } from '@starminer/testing';
import { type ChildProcess } from 'node:child_process';
import { type Pool } from 'pg';
import { eventsV1 } from '@starminer/proto';
import { EventRegistry } from '../src/catalogue/registry';
import { deadLetterTopic } from '../src/catalogue/topics';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import { PgEventStore } from '../src/postgres/event-store';
import {
  databaseUrl,
  dropSchema,
  jobOrigin,
  jobQueued,
  newBus,
  newPool,
  newSchema,
  scope,
  testLogger,
  uniqueName,
} from './support/harness';
import { kill, startRelay } from './support/relay-process';

const STREAMS = 40;
const KILLS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

jest.setTimeout(240_000);

describe('two outbox relays on one schema, the publishing one SIGKILLed over and over', () => {
  let pool: Pool;
  let bus: KafkaJsBus;
  let producerSchema: string;
  let consumerSchema: string;
  const topic = uniqueName('t_relay2');
  const groupId = uniqueName('g_relay2');
  const registry = new EventRegistry().register('JobQueued', eventsV1.JobQueued, {
    topic,
    producer: jobOrigin.producer,
  });
  const relays: ChildProcess[] = [];

  beforeAll(async () => {
    pool = newPool(databaseUrl(), 10);
    bus = newBus('relay-takeover-test');
    producerSchema = await newSchema(pool, 'relay2_src');
    consumerSchema = await newSchema(pool, 'relay2_dst');
    await pool.query(
      `CREATE TABLE "${consumerSchema}".applied (seq bigserial, stream text NOT NULL,
         version int NOT NULL)`,
    );
    await bus.ensureTopics([{ topic, numPartitions: 4 }]);
  });

  afterAll(async () => {
    for (const r of relays) await kill(r);
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, producerSchema);
    await dropSchema(pool, consumerSchema);
    await pool.end();
  });

  const tenure = async () =>
    (
      await pool.query<{ holder: string; epoch: number; taken_at: Date }>(
        `SELECT holder, epoch::int, taken_at FROM "${producerSchema}".leases
          WHERE name = 'outbox-relay'`,
      )
    ).rows[0];

  const startStandby = async () => {
    const r = await startRelay(producerSchema);
    relays.push(r);
    return r;
  };

  it('the standby takes over within its poll, and every stream is applied once, in order', async () => {
    const store = new PgEventStore(pool, producerSchema, registry, jobOrigin);
    const consumer = new EventConsumer({
      bus,
      pool,
      schema: consumerSchema,
      groupId,
      topics: [topic],
      registry,
      scope,
      logger: testLogger,
      handler: async (env, tx) => {
        await tx.query(
          `INSERT INTO "${consumerSchema}".applied (stream, version) VALUES ($1, $2)`,
          [env.aggregateId, env.aggregateVersion],
        );
      },
    });
    await consumer.start();

    // One writer per stream group, appending one event per transaction without pause while the
    // relays are killed: each stream's versions must reach the consumer in order.
    let writing = true;
    let appended = 0;
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const stream = `job-${w}-${i % (STREAMS / 4)}`;
        await store.append(stream, 'any', [jobQueued(stream)]);
        appended++;
        await sleep(5);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);

    await startStandby();
    await startStandby();
    const takeovers: number[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        const before = await waitUntil('a relay holding the lease', tenure);
        const leader = relays.find((r) => before.holder === `relay/${r.pid}`);
        expect(leader).toBeDefined();
        await sleep(500 + Math.random() * 500);
        const killedAt = Date.now();
        await kill(leader!);
        const after = await waitUntil(
          `a new tenure after epoch ${before.epoch}`,
          async () => {
            const t = await tenure();
            return t && t.epoch > before.epoch ? t : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 20 },
        );
        // The survivor took it: it was already running as the standby.
        expect(after.holder).not.toBe(before.holder);
        takeovers.push(after.taken_at.getTime() - killedAt);
        relays.splice(relays.indexOf(leader!), 1);
        await startStandby();
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }

    await waitUntil(
      'outbox drained',
      async () => {
        const r = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${producerSchema}".outbox WHERE published_at IS NULL`,
        );
        return r.rows[0]!.n === 0 ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const applied = await waitUntil(
      'every appended event applied',
      async () => {
        const r = await pool.query<{ stream: string; version: number }>(
          `SELECT stream, version FROM "${consumerSchema}".applied ORDER BY seq`,
        );
        return r.rows.length >= appended ? r.rows : undefined;
      },
      { timeoutMs: 120_000 },
    );
    await consumer.stop();

    // Each stream's events were applied once each, as 1, 2, 3, ... with no gap and no reversal.
    const byStream = new Map<string, number[]>();
    for (const a of applied) byStream.set(a.stream, [...(byStream.get(a.stream) ?? []), a.version]);
    expect(applied).toHaveLength(appended);
    for (const [stream, versions] of byStream)
      expect({ stream, versions }).toEqual({
        stream,
        versions: versions.map((_, i) => i + 1),
      });
    expect(consumer.stats.deadLettered).toBe(0);
    console.info(
      `outbox relay takeover after SIGKILL of the publishing replica (ms): ${takeovers.join(', ')}; ` +
        `${appended} events over ${byStream.size} streams applied in order, ` +
        `${consumer.stats.duplicates} redelivered duplicates absorbed`,
    );
  });
});
