import { type EscrowState, type ParticipantState, type StakeState } from '../domain/projection';
import { type RewardRootRequest, type RewardRootStatus } from '../domain/reward-root';
import { type SettlementAction } from '../domain/settlement';

// The ports of the chain-indexer use cases. Adapters in src/infra implement them over the
// mirror's Postgres tables and the chain's JSON-RPC.

export interface CursorView {
  chainId: number;
  blockNumber: number;
  blockHash: string;
  finalizedNumber: number;
}

export interface LogView {
  checkpoint: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
}

export interface FlowView {
  cursor: string;
  kind: 'transfer' | 'escrow_credit' | 'protocol_fee';
  from: string;
  to: string;
  amount: string;
  jobId?: string;
  log?: LogView;
}

/** Whose token flows: an address (as sender or receiver) or an on-chain job id (lower case). */
export type FlowFilter = { address: string } | { jobId: string };

/**
 * The mirror, read. Addresses and job ids are passed lower case, checked by the caller. Every
 * read is one statement: what it returns is one snapshot of the mirror.
 */
export interface MirrorReader {
  /** How far the mirror has indexed; undefined before its first block. */
  cursor(): Promise<CursorView | undefined>;
  escrow(chainJobId: string): Promise<EscrowState | undefined>;
  stake(provider: string): Promise<StakeState | undefined>;
  participant(account: string): Promise<ParticipantState | undefined>;
  /** Positions of the logs at these checkpoints (those the mirror holds), by checkpoint. */
  logs(checkpoints: readonly string[]): Promise<Map<string, LogView>>;
  /**
   * Totals over the escrows `client` funded: deposits still held (status funded) and everything
   * credited back to it, with the cursor they are current at.
   */
  clientEscrowTotals(client: string): Promise<{
    escrowed: bigint;
    escrowedJobs: number;
    refunded: bigint;
    cursor?: CursorView;
  }>;
  /** Up to `limit` flows in flow-cursor order, after the cursor `after` when given. */
  flows(
    filter: FlowFilter,
    page: { limit: number; after?: string; newestFirst: boolean },
  ): Promise<FlowView[]>;
}

/** On-chain balances the mirror does not fold, read at a block (the chain reader). */
export interface ChainBalances {
  read(account: string, blockNumber: number): Promise<{ agpu: bigint; credits: bigint }>;
}

/** What the settlement signer is to do for one job, as recorded for it. */
export interface SettlementIntent {
  /** 0x bytes32 on-chain job id. */
  chainJobId: string;
  /** The job id the job events carry. */
  serviceJobId: string;
  action: SettlementAction;
  /** The terminal event it was decided from. */
  sourceEventId: string;
}

/** Settlement intents inside the consumer's transaction (with its inbox row). */
export interface SettlementIntents {
  /** Records the intent as pending; a job that already has one keeps it. */
  record(intent: SettlementIntent): Promise<void>;
}

/** The on-chain form of job ids. */
export interface ChainJobIds {
  /** The bytes32 id of a job id (a UUID, or 0x-prefixed 32-byte hex already); throws otherwise. */
  chainJobId(jobId: string): string;
}

export interface RewardRootState extends RewardRootRequest {
  status: RewardRootStatus;
  txHash: string;
  detail: string;
}

/** Requests to post reward roots, one per epoch, which the signer sends. */
export interface RewardRootRequests {
  /**
   * Records the request as pending unless its epoch has one; a failed one is replaced and
   * re-opened when `retryFailed`.
   */
  open(request: RewardRootRequest, retryFailed: boolean): Promise<void>;
  get(epoch: bigint): Promise<RewardRootState | undefined>;
}
