/**
 * The mirror as pure functions over decoded logs. Aggregates (an escrow, a provider's stake, a
 * participant, a reward epoch) are folds of their logs in checkpoint order; per-log facts (token
 * flows, unbondings, reward claims) are rows keyed by their log's checkpoint. So a reorg reverts
 * by checkpoint: per-log rows above the common ancestor are deleted, and every aggregate one of
 * the dropped logs touched is folded again from its remaining logs.
 */
import { type ChainEventData, type DecodedLog, type ParticipantKind } from './chain-events';

export type AggregateKey = string;

export type EscrowStatus = 'funded' | 'settled' | 'refunded' | 'reclaimed';

export interface EscrowState {
  kind: 'escrow';
  jobId: string;
  client: string;
  status: EscrowStatus;
  amount: bigint;
  pricePerGpuSecond: bigint;
  maxGpuSeconds: bigint;
  tier: string;
  deadline: bigint;
  nonce: bigint;
  provider?: string;
  gpuSeconds?: bigint;
  providerPayout?: bigint;
  clientRefund?: bigint;
  fee?: bigint;
  fundedAt?: string;
  closedAt?: string;
  /** Checkpoint of the last log that changed it. */
  checkpoint: string;
  blockNumber: number;
}

export interface StakeState {
  kind: 'stake';
  provider: string;
  bonded: bigint;
  unbonding: bigint;
  unbondReadyAt: bigint;
  slashed: bigint;
  withdrawn: bigint;
  checkpoint: string;
  blockNumber: number;
}

export interface ParticipantState {
  kind: 'participant';
  account: string;
  roles: ParticipantKind[];
  metadataUri: string;
  regions: string[];
  registeredAt: string;
  checkpoint: string;
  blockNumber: number;
}

export interface EpochState {
  kind: 'epoch';
  epoch: bigint;
  root: string;
  total: bigint;
  claimed: bigint;
  validator: string;
  expired: boolean;
  unclaimedAtExpiry: bigint;
  checkpoint: string;
  blockNumber: number;
}

export type AggregateState = EscrowState | StakeState | ParticipantState | EpochState;

export type TokenFlowKind = 'transfer' | 'escrow_credit' | 'protocol_fee';

export interface TokenFlowRow {
  checkpoint: string;
  flowIndex: number;
  kind: TokenFlowKind;
  from: string;
  to: string;
  amount: bigint;
  jobId?: string;
  blockNumber: number;
}

export interface UnbondingRow {
  checkpoint: string;
  provider: string;
  amount: bigint;
  bucketTotal: bigint;
  readyAt: bigint;
  blockNumber: number;
}

export interface ClaimRow {
  checkpoint: string;
  epoch: bigint;
  account: string;
  amount: bigint;
  blockNumber: number;
}

/** Addresses the projection needs to name the two ends of escrow-internal flows. */
export interface ProjectionContext {
  jobEscrow: string;
  rewardDistributor: string;
}

export const escrowKey = (jobId: string): AggregateKey => `escrow:${jobId.toLowerCase()}`;
export const stakeKey = (provider: string): AggregateKey => `stake:${provider.toLowerCase()}`;
export const participantKey = (a: string): AggregateKey => `participant:${a.toLowerCase()}`;
export const epochKey = (epoch: bigint): AggregateKey => `epoch:${epoch}`;

/** The aggregate a log changes, if any. */
export function aggregateKeyOf(e: ChainEventData): AggregateKey | undefined {
  switch (e.name) {
    case 'JobFunded':
    case 'JobSettled':
    case 'JobRefunded':
    case 'JobReclaimed':
      return escrowKey(e.jobId);
    case 'Staked':
    case 'UnbondStarted':
    case 'StakeWithdrawn':
    case 'Slashed':
      return stakeKey(e.provider);
    case 'Registered':
    case 'Updated':
    case 'Deregistered':
      return participantKey(e.account);
    case 'EpochPosted':
    case 'Claimed':
    case 'EpochExpired':
      return epochKey(e.epoch);
    default:
      return undefined;
  }
}

function emptyStake(provider: string, at: DecodedLog): StakeState {
  return {
    kind: 'stake',
    provider,
    bonded: 0n,
    unbonding: 0n,
    unbondReadyAt: 0n,
    slashed: 0n,
    withdrawn: 0n,
    checkpoint: at.meta.checkpoint,
    blockNumber: at.meta.blockNumber,
  };
}

function emptyEscrow(jobId: string, client: string, at: DecodedLog): EscrowState {
  return {
    kind: 'escrow',
    jobId,
    client,
    status: 'funded',
    amount: 0n,
    pricePerGpuSecond: 0n,
    maxGpuSeconds: 0n,
    tier: '0x' + '0'.repeat(64),
    deadline: 0n,
    nonce: 0n,
    checkpoint: at.meta.checkpoint,
    blockNumber: at.meta.blockNumber,
  };
}

/** One step of an aggregate's fold. Logs of other aggregates leave it unchanged. */
export function evolve(
  state: AggregateState | undefined,
  log: DecodedLog,
): AggregateState | undefined {
  const e = log.event;
  const at = { checkpoint: log.meta.checkpoint, blockNumber: log.meta.blockNumber };
  switch (e.name) {
    case 'JobFunded':
      return {
        kind: 'escrow',
        jobId: e.jobId,
        client: e.client,
        status: 'funded',
        amount: e.amount,
        pricePerGpuSecond: e.pricePerGpuSecond,
        maxGpuSeconds: e.maxGpuSeconds,
        tier: e.tier,
        deadline: e.deadline,
        nonce: e.nonce,
        fundedAt: log.meta.checkpoint,
        ...at,
      };
    case 'JobSettled': {
      const s = state?.kind === 'escrow' ? state : emptyEscrow(e.jobId, e.client, log);
      return {
        ...s,
        status: 'settled',
        provider: e.provider,
        gpuSeconds: e.gpuSeconds,
        providerPayout: e.providerAmount,
        clientRefund: e.clientRefund,
        fee: e.fee,
        closedAt: log.meta.checkpoint,
        ...at,
      };
    }
    case 'JobRefunded':
    case 'JobReclaimed': {
      const s = state?.kind === 'escrow' ? state : emptyEscrow(e.jobId, e.client, log);
      return {
        ...s,
        status: e.name === 'JobRefunded' ? 'refunded' : 'reclaimed',
        clientRefund: e.amount,
        closedAt: log.meta.checkpoint,
        ...at,
      };
    }
    case 'Staked': {
      const s = state?.kind === 'stake' ? state : emptyStake(e.provider, log);
      return { ...s, bonded: e.bonded, ...at };
    }
    case 'UnbondStarted': {
      const s = state?.kind === 'stake' ? state : emptyStake(e.provider, log);
      const bonded = s.bonded >= e.amount ? s.bonded - e.amount : 0n;
      return { ...s, bonded, unbonding: e.unbonding, unbondReadyAt: e.readyAt, ...at };
    }
    case 'StakeWithdrawn': {
      const s = state?.kind === 'stake' ? state : emptyStake(e.provider, log);
      return { ...s, unbonding: 0n, unbondReadyAt: 0n, withdrawn: s.withdrawn + e.amount, ...at };
    }
    case 'Slashed': {
      const s = state?.kind === 'stake' ? state : emptyStake(e.provider, log);
      return {
        ...s,
        bonded: s.bonded - e.fromBonded,
        unbonding: s.unbonding - e.fromUnbonding,
        slashed: s.slashed + e.amount,
        ...at,
      };
    }
    case 'Registered': {
      const p: ParticipantState =
        state?.kind === 'participant'
          ? state
          : {
              kind: 'participant',
              account: e.account,
              roles: [],
              metadataUri: '',
              regions: [],
              registeredAt: log.meta.checkpoint,
              ...at,
            };
      const roles = p.roles.includes(e.kind) ? p.roles : sortRoles([...p.roles, e.kind]);
      // As the contract: a provider's URI wins over a later validator registration's.
      const keepUri = e.kind === 'validator' && p.roles.includes('provider');
      return {
        ...p,
        roles,
        metadataUri: e.kind === 'client' || keepUri ? p.metadataUri : e.metadataUri,
        regions: e.kind === 'provider' ? e.regions : p.regions,
        registeredAt: p.roles.length === 0 ? log.meta.checkpoint : p.registeredAt,
        ...at,
      };
    }
    case 'Updated': {
      if (state?.kind !== 'participant') return state;
      return { ...state, metadataUri: e.metadataUri, regions: e.regions, ...at };
    }
    case 'Deregistered': {
      if (state?.kind !== 'participant') return state;
      const roles = state.roles.filter((r) => r !== e.kind);
      if (roles.length === 0) {
        // The contract deletes the participant: keep an empty row so the history has its end.
        return { ...state, roles, metadataUri: '', regions: [], ...at };
      }
      return { ...state, roles, regions: e.kind === 'provider' ? [] : state.regions, ...at };
    }
    case 'EpochPosted':
      return {
        kind: 'epoch',
        epoch: e.epoch,
        root: e.root,
        total: e.total,
        claimed: 0n,
        validator: e.validator,
        expired: false,
        unclaimedAtExpiry: 0n,
        ...at,
      };
    case 'Claimed': {
      if (state?.kind !== 'epoch') return state;
      return { ...state, claimed: state.claimed + e.amount, ...at };
    }
    case 'EpochExpired': {
      if (state?.kind !== 'epoch') return state;
      return { ...state, expired: true, unclaimedAtExpiry: e.unclaimed, ...at };
    }
    default:
      return state;
  }
}

function sortRoles(roles: ParticipantKind[]): ParticipantKind[] {
  const order: ParticipantKind[] = ['provider', 'validator', 'client'];
  return order.filter((r) => roles.includes(r));
}

/** Folds an aggregate from nothing over its logs (checkpoint order): the state after a revert. */
export function rebuild(logs: readonly DecodedLog[]): AggregateState | undefined {
  let s: AggregateState | undefined;
  for (const l of [...logs].sort((a, b) => cmp(a.meta.checkpoint, b.meta.checkpoint)))
    s = evolve(s, l);
  return s;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface Projection {
  /** New state of every aggregate the logs touched. */
  states: Map<AggregateKey, AggregateState | undefined>;
  flows: TokenFlowRow[];
  unbondings: UnbondingRow[];
  claims: ClaimRow[];
  /** State of the touched aggregate right after each log (by checkpoint), for event payloads. */
  after: Map<string, AggregateState | undefined>;
}

/**
 * Applies a batch of logs (whole blocks, checkpoint order) to the current states of the
 * aggregates they touch. `current` must hold every touched key (undefined for a new aggregate).
 */
export function project(
  current: ReadonlyMap<AggregateKey, AggregateState | undefined>,
  logs: readonly DecodedLog[],
  ctx: ProjectionContext,
): Projection {
  const states = new Map<AggregateKey, AggregateState | undefined>();
  const flows: TokenFlowRow[] = [];
  const unbondings: UnbondingRow[] = [];
  const claims: ClaimRow[] = [];
  const after = new Map<string, AggregateState | undefined>();
  // JobFunded is emitted before the deposit's Transfer in the same transaction: that Transfer
  // belongs to the job.
  const jobOfTx = new Map<string, string>();
  const escrow = ctx.jobEscrow.toLowerCase();
  const rewards = ctx.rewardDistributor.toLowerCase();
  for (const log of logs) {
    const e = log.event;
    const { checkpoint, blockNumber } = log.meta;
    const key = aggregateKeyOf(e);
    if (key) {
      const before = states.has(key) ? states.get(key) : current.get(key);
      const next = evolve(before, log);
      states.set(key, next);
      after.set(checkpoint, next);
    }
    const flow = (
      i: number,
      kind: TokenFlowKind,
      from: string,
      to: string,
      amount: bigint,
      jobId?: string,
    ) => {
      if (amount > 0n)
        flows.push({ checkpoint, flowIndex: i, kind, from, to, amount, jobId, blockNumber });
    };
    switch (e.name) {
      case 'JobFunded':
        jobOfTx.set(log.meta.transactionHash, e.jobId);
        break;
      case 'Transfer':
        flows.push({
          checkpoint,
          flowIndex: 0,
          kind: 'transfer',
          from: e.from,
          to: e.to,
          amount: e.value,
          jobId: e.to === escrow ? jobOfTx.get(log.meta.transactionHash) : undefined,
          blockNumber,
        });
        break;
      case 'JobSettled':
        flow(0, 'escrow_credit', escrow, e.provider, e.providerAmount, e.jobId);
        flow(1, 'escrow_credit', escrow, e.client, e.clientRefund, e.jobId);
        flow(2, 'protocol_fee', escrow, rewards, e.fee, e.jobId);
        break;
      case 'JobRefunded':
      case 'JobReclaimed':
        flow(0, 'escrow_credit', escrow, e.client, e.amount, e.jobId);
        break;
      case 'UnbondStarted':
        unbondings.push({
          checkpoint,
          provider: e.provider,
          amount: e.amount,
          bucketTotal: e.unbonding,
          readyAt: e.readyAt,
          blockNumber,
        });
        break;
      case 'Claimed':
        claims.push({
          checkpoint,
          epoch: e.epoch,
          account: e.account,
          amount: e.amount,
          blockNumber,
        });
        break;
      default:
        break;
    }
  }
  return { states, flows, unbondings, claims, after };
}

/** Whether a provider may be paid: registered as a provider with at least `minStake` bonded. */
export function isActiveProvider(
  participant: ParticipantState | undefined,
  stake: StakeState | undefined,
  minStake: bigint,
): boolean {
  const bonded = stake?.bonded ?? 0n;
  return !!participant?.roles.includes('provider') && bonded > 0n && bonded >= minStake;
}
