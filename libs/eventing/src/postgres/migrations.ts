import { type Pool } from 'pg';
import { quoteSchema } from './sql-names';
import { withTransaction } from './transaction';

/**
 * Tables of the eventing library in a service's own schema. Each step is idempotent SQL and is
 * recorded in eventing_migrations; steps are only ever appended.
 */
function migrations(s: string): Array<{ id: number; sql: string }> {
  return [
    {
      id: 1,
      sql: `
CREATE TABLE IF NOT EXISTS ${s}.events (
  position       bigserial PRIMARY KEY,
  event_id       uuid NOT NULL UNIQUE,
  stream_id      text NOT NULL,
  version        bigint NOT NULL CHECK (version > 0),
  type           text NOT NULL,
  schema_version int NOT NULL,
  payload        bytea NOT NULL,
  causation_id   text NOT NULL DEFAULT '',
  correlation_id text NOT NULL DEFAULT '',
  traceparent    text NOT NULL DEFAULT '',
  tracestate     text NOT NULL DEFAULT '',
  occurred_at    timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  -- Optimistic concurrency: two writers of one version cannot both commit.
  CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

-- Messages to publish, written in the same transaction as the state change they announce.
CREATE TABLE IF NOT EXISTS ${s}.outbox (
  id            bigserial PRIMARY KEY,
  event_id      uuid NOT NULL UNIQUE,
  topic         text NOT NULL,
  message_key   text NOT NULL,
  message_value bytea NOT NULL,
  headers       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON ${s}.outbox (id) WHERE published_at IS NULL;

-- Events a consumer group has applied; inserted in the same transaction as the effects.
CREATE TABLE IF NOT EXISTS ${s}.inbox (
  consumer_group text NOT NULL,
  event_id       text NOT NULL,
  topic          text NOT NULL,
  kafka_partition int NOT NULL,
  kafka_offset   bigint NOT NULL,
  outcome        text NOT NULL DEFAULT 'applied',
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);`,
    },
  ];
}

/**
 * Creates or updates the eventing tables in `schema`. Safe to run from every replica at startup:
 * an advisory lock serialises concurrent runs and applied steps are skipped.
 */
export async function migrateEventing(pool: Pool, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `starminer.eventing.migrate:${schema}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.eventing_migrations (id int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await tx.query<{ id: number }>(`SELECT id FROM ${s}.eventing_migrations`);
    const applied = new Set(done.rows.map((r) => r.id));
    for (const step of migrations(s)) {
      if (applied.has(step.id)) continue;
      await tx.query(step.sql);
      await tx.query(`INSERT INTO ${s}.eventing_migrations (id) VALUES ($1)`, [step.id]);
    }
  });
}
