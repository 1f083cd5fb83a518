import { type Pool } from 'pg';
import { quoteSchema, withTransaction } from '@starminer/eventing';

/**
 * The service's own tables beside the eventing library's (outbox, inbox). Idempotent; run at
 * every start under an advisory lock.
 *
 * evidence: what scores are computed from, one row per (event, kind), so the score can always be
 * recomputed and explained. jobs: facts about a job between its events. scores: the current
 * ProviderScore per provider (pool = '') and per node pool. stakes: active stake from chain
 * events. reward_epochs: built and posted epoch trees, from which proofs are served.
 */
export async function migrateReputationTables(pool: Pool, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `starminer.reputation.migrate:${schema}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(`
CREATE TABLE IF NOT EXISTS ${s}.evidence (
  seq      bigserial PRIMARY KEY,
  event_id text NOT NULL,
  kind     text NOT NULL,
  provider text NOT NULL,
  pool     text,
  at_ms    bigint NOT NULL,
  body     jsonb NOT NULL,
  UNIQUE (event_id, kind)
);
CREATE INDEX IF NOT EXISTS evidence_provider ON ${s}.evidence (provider, at_ms);
CREATE TABLE IF NOT EXISTS ${s}.jobs (
  job_id                    text PRIMARY KEY,
  client_address            text NOT NULL,
  gpu_count                 int NOT NULL,
  max_duration_seconds      int NOT NULL,
  estimated_runtime_seconds int NOT NULL,
  dispatched_at_ms          bigint,
  started_at_ms             bigint
);
CREATE TABLE IF NOT EXISTS ${s}.scores (
  provider    text NOT NULL,
  pool        text NOT NULL,
  score_bps   int NOT NULL,
  as_of_ms    bigint NOT NULL,
  breakdown   jsonb NOT NULL,
  PRIMARY KEY (provider, pool)
);
CREATE INDEX IF NOT EXISTS scores_by_score ON ${s}.scores ((pool = ''), score_bps, provider, pool);
CREATE TABLE IF NOT EXISTS ${s}.stakes (
  provider text PRIMARY KEY,
  stake    numeric(78, 0) NOT NULL,
  block    bigint NOT NULL,
  log_index int NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.reward_epochs (
  epoch      bigint PRIMARY KEY,
  root       text NOT NULL,
  total      numeric(78, 0) NOT NULL,
  tree       text NOT NULL,
  status     text NOT NULL,
  post_tx    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);`);
  });
}
