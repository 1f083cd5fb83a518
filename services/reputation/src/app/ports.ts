import { type RewardAllocation, type RewardClaim } from '@starminer/chain';
import { type EventEnvelope, type ReputationEvent } from '@starminer/eventing';
import { type Evidence } from '../domain/evidence';
import { type JobFacts } from '../domain/job-outcome';
import { type ScoreBreakdown } from '../domain/score';

// The ports of the reputation use cases. Adapters in src/infra implement them over Postgres
// (evidence, scores, reward epochs, the outbox), the chain (Merkle trees, the RewardDistributor)
// and the chain-indexer (which posts reward roots with its key).

/** Evidence, stakes and job facts, read. */
export interface EvidenceReader {
  /** A provider's evidence since `fromMs`, in the order it was recorded. */
  forProvider(provider: string, fromMs: number): Promise<Evidence[]>;
  /** Active stake of every provider with one. */
  stakes(): Promise<Map<string, bigint>>;
}

/** Evidence, stakes and job facts inside the consumer's transaction. */
export interface EvidenceStore extends EvidenceReader {
  /** Adds evidence; a (event, kind) already recorded is kept as it is. */
  add(evidence: readonly Evidence[]): Promise<void>;
  /** Closes the open quarantine of a node; returns its pool if there was one. */
  closeQuarantine(provider: string, node: string, endMs: number): Promise<string | undefined>;
  /** Removes the evidence of events a chain reorg voided; returns the providers touched. */
  voidEvents(eventIds: readonly string[]): Promise<string[]>;
  job(jobId: string): Promise<JobFacts | undefined>;
  saveJob(facts: JobFacts): Promise<void>;
  /** Records a provider's stake; a log at or before the recorded one's position is ignored. */
  setStake(provider: string, stake: bigint, block: number, logIndex: number): Promise<void>;
}

/** A stored score: the breakdown without its evidence list (ExplainScore recomputes that). */
export type StoredBreakdown = Omit<ScoreBreakdown, 'contributions'>;

export interface StoredScore {
  provider: string;
  /** '' for the provider's overall score. */
  pool: string;
  scoreBps: number;
  asOfMs: number;
  breakdown: StoredBreakdown;
}

export type SortField = 'score' | 'provider' | 'updated';

export interface ListQuery {
  pools: boolean;
  provider?: string;
  sort: SortField;
  descending: boolean;
  limit: number;
  /** Keyset cursor: the last row of the previous page (its sort value, provider and pool). */
  after?: { value: string; provider: string; pool: string };
}

export interface ScoreReader {
  get(provider: string, pool: string): Promise<StoredScore | undefined>;
  /** One page in the requested order; ties broken by (provider, pool) in the same direction. */
  list(q: ListQuery): Promise<StoredScore[]>;
  /** Provider-level scores of every provider, by provider. */
  providers(): Promise<StoredScore[]>;
}

export interface ScoreStore extends ScoreReader {
  save(provider: string, pool: string, breakdown: ScoreBreakdown): Promise<void>;
  /** Pools of a provider that have a score, in order. */
  poolsOf(provider: string): Promise<string[]>;
}

export interface NewReputationEvent {
  aggregateId: string;
  event: ReputationEvent;
}

/** The outbox of reputation events, in the transaction of the effects they announce. */
export interface ReputationEventSink {
  /** Appends `events` as caused by `cause` (its causation, correlation and trace carried on). */
  publish(cause: EventEnvelope, events: NewReputationEvent[]): Promise<void>;
}

/** What the consumer's transaction (inbox row included) writes through. */
export interface ReputationStore {
  evidence: EvidenceStore;
  scores: ScoreStore;
  events: ReputationEventSink;
}

export interface StoredEpoch {
  epoch: bigint;
  root: string;
  total: bigint;
  /** The tree as stored (RewardTrees). */
  tree: string;
  status: 'built' | 'posted';
  postTx: string;
}

/** Epoch trees, read: the ones posted are what proofs are served from. */
export interface RewardEpochReader {
  get(epoch: bigint): Promise<StoredEpoch | undefined>;
  /** Posted epochs, newest first. */
  posted(limit: number): Promise<StoredEpoch[]>;
}

/** Epoch trees: written before posting ("built"), marked "posted" once the root is on chain. */
export interface RewardEpochStore {
  /** Stores a built tree (replacing a built one of the same epoch, never a posted one). */
  save(epoch: Omit<StoredEpoch, 'status' | 'postTx'>): Promise<void>;
  markPosted(epoch: bigint, postTx: string): Promise<void>;
  /** The newest epoch built and not yet known to be posted. */
  latestBuilt(): Promise<StoredEpoch | undefined>;
}

/** One run of the epoch runner's transaction. */
export interface EpochTransaction {
  /** Takes the runner's lock for this transaction; false while another replica holds it. */
  tryLock(): Promise<boolean>;
  /**
   * Makes what was written so far durable and goes on in a new transaction (the lock is
   * released with the commit).
   */
  commit(): Promise<void>;
  epochs: RewardEpochStore;
  evidence: EvidenceReader;
  scores: ScoreReader;
}

/** Runs `work` in a transaction: it commits when `work` resolves and rolls back when it throws. */
export interface EpochUnitOfWork {
  transact<T>(work: (tx: EpochTransaction) => Promise<T>): Promise<T>;
}

/** An epoch's Merkle tree in the form RewardDistributor.claim verifies. */
export interface BuiltRewardTree {
  root: string;
  total: bigint;
  /** The whole tree, to store and to serve proofs from. */
  tree: string;
}

export interface RewardTrees {
  build(epoch: bigint, allocations: readonly RewardAllocation[]): BuiltRewardTree;
  /** The claim of `account` (with its proof) in a stored tree; undefined when it pays it nothing. */
  claimFor(tree: string, account: string): RewardClaim | undefined;
  /** How many accounts a stored tree pays. */
  accounts(tree: string): number;
}

/**
 * The RewardDistributor: its public state, and posting an epoch's root (through whoever holds
 * the key: the chain-indexer).
 */
export interface RewardRootPoster {
  readonly distributor: string;
  readonly chainId: bigint;
  nextEpoch(): Promise<bigint>;
  /** Rewards not yet promised to any epoch. */
  available(): Promise<bigint>;
  /** Root posted for an epoch, or the zero hash. */
  rootOf(epoch: bigint): Promise<string>;
  post(epoch: bigint, root: string, total: bigint): Promise<{ transactionHash: string }>;
}
