import { type Pool } from 'pg';
import { migrateEventing } from '@starminer/eventing';

/**
 * Spillover's own read model, projected from the events it consumes (it never reads another
 * service's schema): jobs as the job events show them (waiting region, funded tier and price,
 * GPUs held while matched or running), nodes from the registry's node events, tier prices from
 * pricing's PriceUpdated. Beside them the eventing inbox and outbox. Idempotent.
 */
export async function migrateRoutingTables(pool: Pool, schema: string): Promise<void> {
  await migrateEventing(pool, schema);
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ${schema}.jobs (
      job_id text PRIMARY KEY,
      status text NOT NULL,
      version bigint NOT NULL DEFAULT 0,
      region text NOT NULL DEFAULT '',
      quote_region text NOT NULL DEFAULT '',
      product text NOT NULL DEFAULT '',
      quote_price numeric NOT NULL DEFAULT 0,
      gpus int NOT NULL,
      min_vram_mib int NOT NULL DEFAULT 0,
      urgency int NOT NULL,
      latency jsonb NOT NULL,
      waiting_since timestamptz,
      held_region text,
      held_node text,
      held_gpus int NOT NULL DEFAULT 0,
      routing_note text NOT NULL DEFAULT '',
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS jobs_waiting ON ${schema}.jobs (status) WHERE status IN ('Queued', 'Overflowed');
    CREATE INDEX IF NOT EXISTS jobs_held ON ${schema}.jobs (held_region, held_node) WHERE held_gpus > 0;
    CREATE TABLE IF NOT EXISTS ${schema}.nodes (
      region text NOT NULL,
      node text NOT NULL,
      product text NOT NULL,
      memory_mib int NOT NULL,
      gpus int NOT NULL,
      quarantined boolean NOT NULL DEFAULT false,
      PRIMARY KEY (region, node)
    );
    CREATE TABLE IF NOT EXISTS ${schema}.prices (
      product text NOT NULL,
      region text NOT NULL,
      urgency int NOT NULL,
      price numeric NOT NULL,
      PRIMARY KEY (product, region, urgency)
    );
  `);
}
