import { type ParticipantKind } from '../domain/chain-events';
import {
  type AggregateKey,
  type AggregateState,
  type EpochState,
  type EscrowState,
  type EscrowStatus,
  type ParticipantState,
  type StakeState,
} from '../domain/projection';

/**
 * How each aggregate kind maps onto its mirror table: key prefix, primary key column, and the
 * row <-> state conversion. Upserts and loads go through jsonb_to_recordset with these columns,
 * so one statement writes a whole batch of one kind.
 */
export interface AggregateTable<S extends AggregateState> {
  prefix: string;
  table: string;
  pk: string;
  /** column -> SQL type, in insert order (pk first). */
  columns: Record<string, string>;
  toRow(s: S): Record<string, unknown>;
  fromRow(r: Record<string, unknown>): S;
}

const A = 'numeric';
const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
const big = (v: unknown) => BigInt(String(v));
const optBig = (v: unknown) => (v === null || v === undefined ? undefined : BigInt(String(v)));
const s = (v: bigint | undefined) => (v === undefined ? null : v.toString());

export const escrowTable: AggregateTable<EscrowState> = {
  prefix: 'escrow:',
  table: 'escrows',
  pk: 'job_id',
  columns: {
    job_id: 'text',
    client: 'text',
    status: 'text',
    amount: A,
    price_per_gpu_second: A,
    max_gpu_seconds: A,
    tier: 'text',
    deadline: A,
    nonce: A,
    provider: 'text',
    gpu_seconds: A,
    provider_payout: A,
    client_refund: A,
    fee: A,
    funded_at: 'text',
    closed_at: 'text',
    checkpoint: 'text',
    block_number: 'bigint',
  },
  toRow: (e) => ({
    job_id: e.jobId,
    client: e.client,
    status: e.status,
    amount: s(e.amount),
    price_per_gpu_second: s(e.pricePerGpuSecond),
    max_gpu_seconds: s(e.maxGpuSeconds),
    tier: e.tier,
    deadline: s(e.deadline),
    nonce: s(e.nonce),
    provider: e.provider ?? null,
    gpu_seconds: s(e.gpuSeconds),
    provider_payout: s(e.providerPayout),
    client_refund: s(e.clientRefund),
    fee: s(e.fee),
    funded_at: e.fundedAt ?? null,
    closed_at: e.closedAt ?? null,
    checkpoint: e.checkpoint,
    block_number: e.blockNumber,
  }),
  fromRow: (r) => ({
    kind: 'escrow',
    jobId: String(r.job_id),
    client: String(r.client),
    status: r.status as EscrowStatus,
    amount: big(r.amount),
    pricePerGpuSecond: big(r.price_per_gpu_second),
    maxGpuSeconds: big(r.max_gpu_seconds),
    tier: String(r.tier),
    deadline: big(r.deadline),
    nonce: big(r.nonce),
    provider: str(r.provider),
    gpuSeconds: optBig(r.gpu_seconds),
    providerPayout: optBig(r.provider_payout),
    clientRefund: optBig(r.client_refund),
    fee: optBig(r.fee),
    fundedAt: str(r.funded_at),
    closedAt: str(r.closed_at),
    checkpoint: String(r.checkpoint),
    blockNumber: Number(r.block_number),
  }),
};

export const stakeTable: AggregateTable<StakeState> = {
  prefix: 'stake:',
  table: 'stakes',
  pk: 'provider',
  columns: {
    provider: 'text',
    bonded: A,
    unbonding: A,
    unbond_ready_at: A,
    slashed: A,
    withdrawn: A,
    checkpoint: 'text',
    block_number: 'bigint',
  },
  toRow: (x) => ({
    provider: x.provider,
    bonded: s(x.bonded),
    unbonding: s(x.unbonding),
    unbond_ready_at: s(x.unbondReadyAt),
    slashed: s(x.slashed),
    withdrawn: s(x.withdrawn),
    checkpoint: x.checkpoint,
    block_number: x.blockNumber,
  }),
  fromRow: (r) => ({
    kind: 'stake',
    provider: String(r.provider),
    bonded: big(r.bonded),
    unbonding: big(r.unbonding),
    unbondReadyAt: big(r.unbond_ready_at),
    slashed: big(r.slashed),
    withdrawn: big(r.withdrawn),
    checkpoint: String(r.checkpoint),
    blockNumber: Number(r.block_number),
  }),
};

export const participantTable: AggregateTable<ParticipantState> = {
  prefix: 'participant:',
  table: 'participants',
  pk: 'account',
  columns: {
    account: 'text',
    roles: 'text[]',
    metadata_uri: 'text',
    regions: 'text[]',
    registered_at: 'text',
    checkpoint: 'text',
    block_number: 'bigint',
  },
  toRow: (p) => ({
    account: p.account,
    roles: p.roles,
    metadata_uri: p.metadataUri,
    regions: p.regions,
    registered_at: p.registeredAt,
    checkpoint: p.checkpoint,
    block_number: p.blockNumber,
  }),
  fromRow: (r) => ({
    kind: 'participant',
    account: String(r.account),
    roles: r.roles as ParticipantKind[],
    metadataUri: String(r.metadata_uri),
    regions: r.regions as string[],
    registeredAt: String(r.registered_at),
    checkpoint: String(r.checkpoint),
    blockNumber: Number(r.block_number),
  }),
};

export const epochTable: AggregateTable<EpochState> = {
  prefix: 'epoch:',
  table: 'reward_epochs',
  pk: 'epoch',
  columns: {
    epoch: A,
    root: 'text',
    total: A,
    claimed: A,
    validator: 'text',
    expired: 'boolean',
    unclaimed_at_expiry: A,
    checkpoint: 'text',
    block_number: 'bigint',
  },
  toRow: (e) => ({
    epoch: s(e.epoch),
    root: e.root,
    total: s(e.total),
    claimed: s(e.claimed),
    validator: e.validator,
    expired: e.expired,
    unclaimed_at_expiry: s(e.unclaimedAtExpiry),
    checkpoint: e.checkpoint,
    block_number: e.blockNumber,
  }),
  fromRow: (r) => ({
    kind: 'epoch',
    epoch: big(r.epoch),
    root: String(r.root),
    total: big(r.total),
    claimed: big(r.claimed),
    validator: String(r.validator),
    expired: Boolean(r.expired),
    unclaimedAtExpiry: big(r.unclaimed_at_expiry),
    checkpoint: String(r.checkpoint),
    blockNumber: Number(r.block_number),
  }),
};

export const aggregateTables = [escrowTable, stakeTable, participantTable, epochTable] as const;

export function tableOfKey(key: AggregateKey): AggregateTable<AggregateState> {
  const t = aggregateTables.find((t) => key.startsWith(t.prefix));
  if (!t) throw new Error(`no mirror table for aggregate ${key}`);
  return t as unknown as AggregateTable<AggregateState>;
}

export function tableOfState(state: AggregateState): AggregateTable<AggregateState> {
  return tableOfKey(`${state.kind}:`);
}

/** The primary-key value of an aggregate key ("escrow:0xab.." -> "0xab.."). */
export function pkOfKey(key: AggregateKey): string {
  return key.slice(key.indexOf(':') + 1);
}

/** `col type, ...` for jsonb_to_recordset's column definition list. */
export function recordsetColumns(columns: Record<string, string>): string {
  return Object.entries(columns)
    .map(([c, t]) => `${c} ${t}`)
    .join(', ');
}
