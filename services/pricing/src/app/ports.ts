import { type Quote } from '@starminer/chain';
import { type EventMetadata, type MarketEvent } from '@starminer/eventing';
import { type EngineState, type PricePoint } from '../domain/replay';
import { type SignalEvent } from '../domain/signal-events';
import { type Urgency } from '../domain/tier';

// The ports of the pricing use cases. Adapters in src/infra implement them over Postgres (the
// engine's input log, the price index, issued quotes, the outbox) and the chain (quote signing).

/** The engine's state after every committed entry of its input log, and the position reached. */
export interface EngineStateSource {
  load(): Promise<{ state: EngineState; seq: bigint }>;
}

export interface LoggedSignal {
  seq: bigint;
  entry: SignalEvent;
}

/** The input log read in order, for replays. */
export interface SignalHistory {
  entriesAfter(seq: bigint): Promise<LoggedSignal[]>;
}

/** The engine's input log and snapshots inside one transaction. */
export interface SignalLog extends EngineStateSource {
  /**
   * Holds off every other append until this transaction ends, after the appends already under
   * way have committed: the log then has no gap below an entry appended now.
   */
  lock(): Promise<void>;
  /** Appends one entry; an event id seen before is ignored. Its position, if it was new. */
  append(entry: SignalEvent, eventId?: string): Promise<bigint | undefined>;
  /** Stores the state at `seq` (and may drop older snapshots). */
  saveSnapshot(seq: bigint, state: EngineState): Promise<void>;
}

/** One price of the public price index. */
export interface StoredPrice {
  id: bigint;
  tier: string;
  gpuClass: string;
  region: string;
  urgency: Urgency;
  at: Date;
  price: bigint;
  previous: bigint;
  queuedGpus: number;
  freeGpus: number;
  strategy: string;
}

/** Adds the prices one tick set to the public index. */
export interface PriceIndexWriter {
  record(tickSeq: bigint, strategy: string, points: PricePoint[]): Promise<void>;
}

/** The public price index, read. */
export interface PriceIndexReader {
  /** Latest price of every tier (of one region when given) and the index version. */
  book(region?: string): Promise<{ version: bigint; prices: StoredPrice[] }>;
  /** Points of one tier after `afterId`, oldest first, within optional time bounds. */
  history(q: {
    tier: string;
    afterId: bigint;
    from?: Date;
    to?: Date;
    limit: number;
  }): Promise<StoredPrice[]>;
  /** Every point in id order. */
  all(): Promise<StoredPrice[]>;
}

export interface NewMarketEvent {
  aggregateId: string;
  event: MarketEvent;
  meta?: EventMetadata;
}

/** The outbox of market events, in the transaction of the effects they announce. */
export interface MarketEventSink {
  publish(events: NewMarketEvent[]): Promise<void>;
}

/** What one transaction of the engine writes through. */
export interface MarketTransaction {
  log: SignalLog;
  index: PriceIndexWriter;
  events: MarketEventSink;
}

/** Runs `work` in one transaction: all of its writes commit, or none do (it rethrows). */
export interface MarketUnitOfWork {
  transact<T>(work: (market: MarketTransaction) => Promise<T>): Promise<T>;
}

/**
 * Every quote signed, by nonce: a repeated nonce fails (rejects) instead of producing two quotes
 * the escrow would treat as one.
 */
export interface IssuedQuotes {
  record(quotes: Array<{ quote: Quote; tier: string }>): Promise<void>;
}

/** The pricing key and the JobEscrow its quotes are for. */
export interface QuoteSigner {
  readonly address: string;
  readonly chainId: bigint;
  readonly escrow: string;
  /** The signature JobEscrow.fund verifies for `quote`. */
  sign(quote: Quote): Promise<string>;
}

/** How the escrow contract spells a quote's fields. */
export interface EscrowEncoding {
  /** `input` as a checksummed address, or undefined when it is not a 0x-prefixed 20-byte address. */
  address(input: string): string | undefined;
  /** The bytes32 job id of a job's UUID. */
  jobId(uuid: string): string;
  /** The bytes32 form of a tier key. */
  tier(tierKey: string): string;
  /** A fresh random 256-bit nonce. */
  nonce(): bigint;
}
