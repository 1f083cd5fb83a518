import { type Pool } from 'pg';
import { migrateEventing } from '@starminer/eventing';

/**
 * The matchmaker's own tables beside the event store: the jobs read model (written in the same
 * transaction as the job's events), GPU reservations, and the capacity read model built from
 * the registry's node events and pricing's price events. Idempotent.
 */
export async function migrateMatchmaker(pool: Pool, schema: string): Promise<void> {
  await migrateEventing(pool, schema);
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ${schema}.jobs (
      job_id text PRIMARY KEY,
      client_id text NOT NULL,
      status text NOT NULL,
      version bigint NOT NULL,
      attempt int NOT NULL DEFAULT 0,
      urgency int NOT NULL DEFAULT 2,
      region text,
      node text,
      k8s_name text,
      quote_expires_at timestamptz,
      placement_deadline timestamptz,
      queued_at timestamptz,
      submitted_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_status ON ${schema}.jobs (status);
    CREATE INDEX IF NOT EXISTS jobs_client ON ${schema}.jobs (client_id, submitted_at DESC);
    CREATE TABLE IF NOT EXISTS ${schema}.reservations (
      job_id text PRIMARY KEY,
      region text NOT NULL,
      node text NOT NULL,
      gpus int NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${schema}.submissions (
      client_id text NOT NULL,
      idempotency_key text NOT NULL,
      job_id text NOT NULL,
      PRIMARY KEY (client_id, idempotency_key)
    );
    CREATE TABLE IF NOT EXISTS ${schema}.nodes (
      region text NOT NULL,
      node text NOT NULL,
      provider text NOT NULL,
      pool text NOT NULL,
      product text NOT NULL,
      memory_mib int NOT NULL,
      gpus int NOT NULL,
      quarantined boolean NOT NULL DEFAULT false,
      PRIMARY KEY (region, node)
    );
    CREATE TABLE IF NOT EXISTS ${schema}.providers (
      provider text PRIMARY KEY,
      active boolean NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${schema}.prices (
      product text NOT NULL,
      region text NOT NULL,
      urgency int NOT NULL,
      price numeric(78, 0) NOT NULL,
      PRIMARY KEY (product, region, urgency)
    );
  `);
}
