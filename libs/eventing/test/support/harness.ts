import { requireStackVar, standInDeployment, testBus } from '@starminer/testing';
import { Pool } from 'pg';
import { eventsV1 } from '@starminer/proto';
import { starminerRegistry, type StarminerEvent } from '../../src/catalogue/starminer-events';
import { encodeEnvelope, type EventOrigin } from '../../src/envelope';
import { type KafkaJsBus } from '../../src/kafka/kafkajs-bus';
import { type OutgoingMessage } from '../../src/kafka/ports';
import { silentLogger, type Logger } from '../../src/logger';
import { migrateEventing } from '../../src/postgres/migrations';
import { completeEnvelope } from '../../src/postgres/outbox-writer';
import { type Tx } from '../../src/postgres/transaction';

export const registry = starminerRegistry();
export const databaseUrl = () => requireStackVar('DATABASE_URL');

/**
 * The deployment this file's events belong to (stand-in contracts): test events are published
 * with its origin and test consumers accept its events only.
 */
export const deployment = standInDeployment();
/** Origin of the job events the tests publish: the matchmaker owns JobQueued. */
export const jobOrigin: EventOrigin = deployment.as('matchmaker').origin;
/** Scope of every test consumer: this file's deployment. */
export const scope = deployment.as('test-consumer').scope;

/** Names unique to this run so tests never share schemas, topics or groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
}

/** Logs only errors, to keep test output readable through deliberate outages. */
export const testLogger: Logger = { ...silentLogger, error: (msg, f) => console.error(msg, f) };

/** A bus in this test file's Kafka namespace. */
export function newBus(clientId: string): KafkaJsBus {
  return testBus(clientId, { logger: silentLogger });
}

/** A fresh schema with the eventing tables and an `effects` table handlers insert into. */
export async function newSchema(pool: Pool, prefix: string): Promise<string> {
  const schema = uniqueName(prefix);
  await migrateEventing(pool, schema);
  // No unique constraint on purpose: a duplicate effect would show as a second row. `seq` keeps
  // the order effects were applied in.
  await pool.query(
    `CREATE TABLE "${schema}".effects (seq bigserial, event_id text NOT NULL, consumer text NOT NULL)`,
  );
  return schema;
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The handler every test consumer runs: one effect row per applied event. */
export function recordEffect(schema: string, consumer: string) {
  return async (env: { eventId: string }, tx: Tx) => {
    await tx.query(`INSERT INTO "${schema}".effects (event_id, consumer) VALUES ($1, $2)`, [
      env.eventId,
      consumer,
    ]);
  };
}

/** Effect rows per event id. */
export async function effectCounts(pool: Pool, schema: string): Promise<Map<string, number>> {
  const r = await pool.query<{ event_id: string; n: string }>(
    `SELECT event_id, count(*) AS n FROM "${schema}".effects GROUP BY event_id`,
  );
  return new Map(r.rows.map((row) => [row.event_id, Number(row.n)]));
}

export function jobQueued(jobId: string): Extract<StarminerEvent, { type: 'JobQueued' }> {
  return {
    ...eventsV1.JobQueued.fromPartial({ jobId, clientId: 'tenant-1', tier: { region: 'us-east' } }),
    type: 'JobQueued',
  };
}

/** A Kafka message carrying a JobQueued envelope, as the relay would send it (the matchmaker's, by default). */
export function jobQueuedMessage(
  topic: string,
  jobId: string,
  version: number,
  origin: EventOrigin = jobOrigin,
): { eventId: string; message: OutgoingMessage } {
  const env = completeEnvelope(registry, origin, jobId, version, jobQueued(jobId));
  return {
    eventId: env.eventId,
    message: {
      topic,
      key: jobId,
      value: encodeEnvelope(registry, env),
      headers: { 'event-id': env.eventId },
    },
  };
}

export function newPool(connectionString = databaseUrl(), max = 5): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => undefined); // idle clients dropped by a cut proxy
  return pool;
}
