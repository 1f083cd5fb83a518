import { migrateEventing, quoteSchema, withTransaction } from '@starminer/eventing';
import { type Pool } from 'pg';

/**
 * The registry's tables. `nodes` is a projection of the regions' API servers (rebuilt from them
 * by the controller's resync); `providers` mirrors chain state. Both are idempotent to create.
 */
export async function migrateRegistry(pool: Pool, schema: string): Promise<void> {
  await migrateEventing(pool, schema);
  const s = quoteSchema(schema);
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `starminer.registry.migrate:${schema}`,
    ]);
    await tx.query(`
CREATE TABLE IF NOT EXISTS ${s}.providers (
  address         text PRIMARY KEY,
  registered      boolean NOT NULL,
  bonded          numeric(78, 0) NOT NULL,
  min_stake       numeric(78, 0) NOT NULL,
  slash_pending   boolean NOT NULL,
  slash_block     bigint NOT NULL,
  stake_block     bigint NOT NULL,
  active          boolean NOT NULL,
  inactive_reason text NOT NULL,
  checked_at      timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.nodes (
  region           text NOT NULL,
  name             text NOT NULL,
  uid              text NOT NULL,
  provider         text NOT NULL,
  pool             text NOT NULL,
  gpu_product      text NOT NULL,
  gpu_class        text NOT NULL,
  gpu_memory_mib   int NOT NULL,
  capacity_gpus    int NOT NULL,
  allocatable_gpus int NOT NULL,
  allocated_gpus   int NOT NULL,
  ready            boolean NOT NULL,
  cordoned         boolean NOT NULL,
  last_heartbeat   timestamptz,
  status           text NOT NULL,
  reason           text NOT NULL,
  message          text NOT NULL,
  verified         boolean NOT NULL,
  version          bigint NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (region, name)
);
CREATE INDEX IF NOT EXISTS nodes_provider ON ${s}.nodes (provider);`);
  });
}
