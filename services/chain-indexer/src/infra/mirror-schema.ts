import { type Pool } from 'pg';
import { migrateEventing, quoteSchema, withTransaction } from '@starminer/eventing';

/**
 * The chain-indexer's tables in its own schema. Every mirrored row carries the checkpoint of the
 * log that last changed it (or that it is), so a reorg finds what to revert by checkpoint.
 * Amounts are numeric(78,0): a uint256 fits exactly.
 */
function steps(s: string): Array<{ id: number; sql: string }> {
  const amount = 'numeric(78,0)';
  return [
    {
      id: 1,
      sql: `
-- Where indexing is: the last applied block, the finalized number it trusts, and a halt reason
-- when a reorg went deeper than that (indexing then stays stopped until an operator acts).
CREATE TABLE IF NOT EXISTS ${s}.indexer_cursor (
  chain_id         bigint PRIMARY KEY,
  block_number     bigint NOT NULL,
  block_hash       text NOT NULL,
  finalized_number bigint NOT NULL,
  halted_reason    text,
  halted_at        timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The window: applied blocks above the finalized anchor, linked by parent hash.
CREATE TABLE IF NOT EXISTS ${s}.blocks (
  number      bigint PRIMARY KEY,
  hash        text NOT NULL,
  parent_hash text NOT NULL,
  timestamp   bigint NOT NULL
);
-- Every decoded log: the source the aggregates are folded from after a reorg.
CREATE TABLE IF NOT EXISTS ${s}.chain_logs (
  checkpoint        text PRIMARY KEY,
  block_number      bigint NOT NULL,
  block_hash        text NOT NULL,
  block_timestamp   bigint NOT NULL,
  transaction_hash  text NOT NULL,
  transaction_index int NOT NULL,
  log_index         int NOT NULL,
  address           text NOT NULL,
  name              text NOT NULL,
  data              jsonb NOT NULL,
  aggregate_key     text,
  event_id          uuid
);
CREATE INDEX IF NOT EXISTS chain_logs_aggregate ON ${s}.chain_logs (aggregate_key, checkpoint);
CREATE INDEX IF NOT EXISTS chain_logs_block ON ${s}.chain_logs (block_number);

CREATE TABLE IF NOT EXISTS ${s}.escrows (
  job_id               text PRIMARY KEY,
  client               text NOT NULL,
  status               text NOT NULL,
  amount               ${amount} NOT NULL,
  price_per_gpu_second ${amount} NOT NULL,
  max_gpu_seconds      ${amount} NOT NULL,
  tier                 text NOT NULL,
  deadline             ${amount} NOT NULL,
  nonce                ${amount} NOT NULL,
  provider             text,
  gpu_seconds          ${amount},
  provider_payout      ${amount},
  client_refund        ${amount},
  fee                  ${amount},
  funded_at            text,
  closed_at            text,
  checkpoint           text NOT NULL,
  block_number         bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.stakes (
  provider        text PRIMARY KEY,
  bonded          ${amount} NOT NULL,
  unbonding       ${amount} NOT NULL,
  unbond_ready_at ${amount} NOT NULL,
  slashed         ${amount} NOT NULL,
  withdrawn       ${amount} NOT NULL,
  checkpoint      text NOT NULL,
  block_number    bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.unbondings (
  checkpoint   text PRIMARY KEY,
  provider     text NOT NULL,
  amount       ${amount} NOT NULL,
  bucket_total ${amount} NOT NULL,
  ready_at     ${amount} NOT NULL,
  block_number bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS unbondings_provider ON ${s}.unbondings (provider, checkpoint);
CREATE TABLE IF NOT EXISTS ${s}.participants (
  account       text PRIMARY KEY,
  roles         text[] NOT NULL,
  metadata_uri  text NOT NULL,
  regions       text[] NOT NULL,
  registered_at text NOT NULL,
  checkpoint    text NOT NULL,
  block_number  bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.reward_epochs (
  epoch               ${amount} PRIMARY KEY,
  root                text NOT NULL,
  total               ${amount} NOT NULL,
  claimed             ${amount} NOT NULL,
  validator           text NOT NULL,
  expired             boolean NOT NULL,
  unclaimed_at_expiry ${amount} NOT NULL,
  checkpoint          text NOT NULL,
  block_number        bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.reward_claims (
  checkpoint   text PRIMARY KEY,
  epoch        ${amount} NOT NULL,
  account      text NOT NULL,
  amount       ${amount} NOT NULL,
  block_number bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.token_flows (
  cursor       text PRIMARY KEY,
  checkpoint   text NOT NULL,
  flow_index   int NOT NULL,
  kind         text NOT NULL,
  from_address text NOT NULL,
  to_address   text NOT NULL,
  amount       ${amount} NOT NULL,
  job_id       text,
  block_number bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS token_flows_from ON ${s}.token_flows (from_address, cursor);
CREATE INDEX IF NOT EXISTS token_flows_to ON ${s}.token_flows (to_address, cursor);
CREATE INDEX IF NOT EXISTS token_flows_job ON ${s}.token_flows (job_id, cursor) WHERE job_id IS NOT NULL;

-- Settlement signer: one intent per job, recorded before any transaction is sent.
CREATE TABLE IF NOT EXISTS ${s}.settlement_intents (
  job_id          text PRIMARY KEY,
  service_job_id  text NOT NULL,
  action          text NOT NULL,
  provider        text,
  gpu_seconds     ${amount},
  status          text NOT NULL,
  detail          text,
  source_event_id text NOT NULL,
  attempts        int NOT NULL DEFAULT 0,
  confirmed_checkpoint text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS settlement_intents_open ON ${s}.settlement_intents (created_at)
  WHERE status IN ('pending', 'submitted');
-- Every transaction the signer signed, persisted before it is broadcast.
CREATE TABLE IF NOT EXISTS ${s}.settlement_txs (
  tx_hash         text PRIMARY KEY,
  job_id          text NOT NULL,
  nonce           bigint NOT NULL,
  max_fee_per_gas ${amount} NOT NULL,
  max_priority_fee_per_gas ${amount} NOT NULL,
  raw             text NOT NULL,
  status          text NOT NULL DEFAULT 'sent',
  sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS settlement_txs_job ON ${s}.settlement_txs (job_id, sent_at);
CREATE TABLE IF NOT EXISTS ${s}.signer_nonce (
  address    text PRIMARY KEY,
  next_nonce bigint NOT NULL
);`,
    },
    {
      id: 2,
      sql: `
-- Reward roots to post to the RewardDistributor (PostRewardRoot), one per epoch. Their
-- transactions go to settlement_txs under job_id 'reward-root:<epoch>', signed with the same
-- key and nonce counter as settlements.
CREATE TABLE IF NOT EXISTS ${s}.reward_root_requests (
  epoch      ${amount} PRIMARY KEY,
  root       text NOT NULL,
  total      ${amount} NOT NULL,
  status     text NOT NULL,
  detail     text NOT NULL DEFAULT '',
  tx_hash    text NOT NULL DEFAULT '',
  attempts   int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS reward_root_requests_open ON ${s}.reward_root_requests (created_at)
  WHERE status IN ('pending', 'submitted');`,
    },
  ];
}

/** Creates or updates the indexer's tables and the eventing tables (outbox, inbox) in `schema`. */
export async function migrateChainIndexer(pool: Pool, schema: string): Promise<void> {
  await migrateEventing(pool, schema);
  const s = quoteSchema(schema);
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `starminer.chain-indexer.migrate:${schema}`,
    ]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.chain_indexer_migrations (id int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await tx.query<{ id: number }>(`SELECT id FROM ${s}.chain_indexer_migrations`)).rows.map(
        (r) => r.id,
      ),
    );
    for (const step of steps(s)) {
      if (done.has(step.id)) continue;
      await tx.query(step.sql);
      await tx.query(`INSERT INTO ${s}.chain_indexer_migrations (id) VALUES ($1)`, [step.id]);
    }
  });
}
