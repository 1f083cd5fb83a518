import { type Pool } from 'pg';
import { quoteSchema, withTransaction } from '@starminer/eventing';

/**
 * The service's own tables, in its schema beside the eventing library's (events, outbox,
 * inbox). Idempotent; run at every start under an advisory lock.
 *
 * signal_log is the engine's input log in application order: replaying it reproduces every
 * price. engine_snapshots holds the engine state after a tick, so loading the current state
 * reads one snapshot and the entries after it. price_history is the public price index.
 */
export async function migratePricingTables(pool: Pool, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `starminer.pricing.migrate:${schema}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(`
CREATE TABLE IF NOT EXISTS ${s}.signal_log (
  seq      bigserial PRIMARY KEY,
  event_id text UNIQUE,
  kind     text NOT NULL,
  at_ms    bigint NOT NULL,
  body     jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.engine_snapshots (
  seq      bigint PRIMARY KEY,
  strategy text NOT NULL,
  state    jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.price_history (
  id          bigserial PRIMARY KEY,
  tick_seq    bigint NOT NULL,
  tier        text NOT NULL,
  gpu_class   text NOT NULL,
  region      text NOT NULL,
  urgency     text NOT NULL,
  at          timestamptz NOT NULL,
  price       numeric(78, 0) NOT NULL,
  previous    numeric(78, 0) NOT NULL,
  queued_gpus int NOT NULL,
  free_gpus   int NOT NULL,
  strategy    text NOT NULL
);
CREATE INDEX IF NOT EXISTS price_history_tier ON ${s}.price_history (tier, id);
CREATE TABLE IF NOT EXISTS ${s}.issued_quotes (
  nonce          numeric(78, 0) PRIMARY KEY,
  job_id         text NOT NULL,
  client         text NOT NULL,
  tier           text NOT NULL,
  price          numeric(78, 0) NOT NULL,
  max_gpu_seconds bigint NOT NULL,
  expiry         bigint NOT NULL,
  issued_at      timestamptz NOT NULL DEFAULT now()
);`);
  });
}
