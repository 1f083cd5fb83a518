import { type Pool } from 'pg';
import { migrateEventing } from '@starminer/eventing';

/**
 * The gateway's own tables (idempotent; run at boot). Only the gateway writes them. The job
 * watcher's consumer keeps its inbox in the same schema.
 */
export async function migrateGateway(pool: Pool, schema: string): Promise<void> {
  await migrateEventing(pool, schema);
  const s = `"${schema}"`;
  await pool.query(`
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.api_keys (
      key_id text PRIMARY KEY,
      tenant text NOT NULL,
      name text NOT NULL,
      scopes text[] NOT NULL,
      secret_sha256 bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS api_keys_tenant ON ${s}.api_keys (tenant);
    CREATE TABLE IF NOT EXISTS ${s}.siwe_nonces (
      nonce text PRIMARY KEY,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS ${s}.sessions (
      token_sha256 bytea PRIMARY KEY,
      tenant text NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS ${s}.rate_buckets (
      bucket text PRIMARY KEY,
      tokens double precision NOT NULL,
      at_ms bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.jobs (
      job_id text PRIMARY KEY,
      tenant text NOT NULL,
      template text NOT NULL DEFAULT '',
      idempotency_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS jobs_tenant ON ${s}.jobs (tenant, created_at DESC);
  `);
}
