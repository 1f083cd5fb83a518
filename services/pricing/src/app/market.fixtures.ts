// In-memory fakes of the pricing ports, for the app-layer specs (excluded from the build).
import { type Quote } from '@starminer/chain';
import { type EventEnvelope, type TypedEvent } from '@starminer/eventing';
import {
  applyEntry,
  initialEngineState,
  type EngineState,
  type PricePoint,
} from '../domain/replay';
import { type SignalEvent } from '../domain/signal-events';
import { type PricingStrategy } from '../domain/strategy';
import { parseTierKey } from '../domain/tier';
import {
  type EscrowEncoding,
  type IssuedQuotes,
  type LoggedSignal,
  type MarketEventSink,
  type MarketTransaction,
  type MarketUnitOfWork,
  type NewMarketEvent,
  type PriceIndexReader,
  type PriceIndexWriter,
  type QuoteSigner,
  type SignalHistory,
  type SignalLog,
  type StoredPrice,
} from './ports';

/** The input log and snapshots, as the Postgres log behaves: event ids de-duplicate. */
export class InMemorySignalLog implements SignalLog, SignalHistory {
  entries: Array<LoggedSignal & { eventId?: string }> = [];
  snapshots = new Map<bigint, EngineState>();
  locks = 0;

  constructor(private readonly strategy: PricingStrategy) {}

  async lock(): Promise<void> {
    this.locks += 1;
  }

  async append(entry: SignalEvent, eventId?: string): Promise<bigint | undefined> {
    if (eventId !== undefined && this.entries.some((e) => e.eventId === eventId)) return undefined;
    const seq = BigInt(this.entries.length + 1);
    this.entries.push({ seq, entry, ...(eventId === undefined ? {} : { eventId }) });
    return seq;
  }

  async load(): Promise<{ state: EngineState; seq: bigint }> {
    const latest = [...this.snapshots.keys()].sort((a, b) => (a < b ? 1 : -1))[0];
    let state =
      latest === undefined ? initialEngineState(this.strategy) : this.snapshots.get(latest)!;
    let seq = latest ?? 0n;
    for (const e of await this.entriesAfter(seq)) {
      state = applyEntry(this.strategy, state, e.entry).state;
      seq = e.seq;
    }
    return { state, seq };
  }

  async entriesAfter(seq: bigint): Promise<LoggedSignal[]> {
    return this.entries.filter((e) => e.seq > seq).map(({ seq, entry }) => ({ seq, entry }));
  }

  async saveSnapshot(seq: bigint, state: EngineState): Promise<void> {
    this.snapshots.set(seq, state);
  }

  /** The entries recorded, without their positions. */
  signals(): SignalEvent[] {
    return this.entries.map((e) => e.entry);
  }
}

/** The public price index; `failWith` makes the next record reject (to see a rollback). */
export class InMemoryPriceIndex implements PriceIndexWriter, PriceIndexReader {
  points: Array<StoredPrice & { tickSeq: bigint }> = [];
  failWith: Error | undefined;

  async record(tickSeq: bigint, strategy: string, points: PricePoint[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const p of points) {
      const t = parseTierKey(p.tier);
      this.points.push({
        id: BigInt(this.points.length + 1),
        tickSeq,
        tier: p.tier,
        gpuClass: t.gpuClass,
        region: t.region,
        urgency: t.urgency,
        at: new Date(p.at),
        price: p.price,
        previous: p.previous,
        queuedGpus: p.queuedGpus,
        freeGpus: p.freeGpus,
        strategy,
      });
    }
  }

  async book(region?: string): Promise<{ version: bigint; prices: StoredPrice[] }> {
    const latest = new Map<string, StoredPrice>();
    for (const p of this.points) if (!region || p.region === region) latest.set(p.tier, p);
    const prices = [...latest.values()].sort((a, b) => (a.tier < b.tier ? -1 : 1));
    return { version: BigInt(this.points.length), prices };
  }

  async history(q: {
    tier: string;
    afterId: bigint;
    from?: Date;
    to?: Date;
    limit: number;
  }): Promise<StoredPrice[]> {
    return this.points
      .filter(
        (p) =>
          p.tier === q.tier &&
          p.id > q.afterId &&
          (!q.from || p.at >= q.from) &&
          (!q.to || p.at <= q.to),
      )
      .slice(0, q.limit);
  }

  async all(): Promise<StoredPrice[]> {
    return [...this.points];
  }
}

export class RecordedMarketEvents implements MarketEventSink {
  published: NewMarketEvent[] = [];

  async publish(events: NewMarketEvent[]): Promise<void> {
    this.published.push(...events);
  }
}

/** One store for all three; a failed unit of work leaves every part as it was. */
export class InMemoryMarket implements MarketUnitOfWork {
  readonly log: InMemorySignalLog;
  readonly index = new InMemoryPriceIndex();
  readonly events = new RecordedMarketEvents();
  commits = 0;

  constructor(strategy: PricingStrategy) {
    this.log = new InMemorySignalLog(strategy);
  }

  async transact<T>(work: (market: MarketTransaction) => Promise<T>): Promise<T> {
    const before = {
      entries: [...this.log.entries],
      snapshots: new Map(this.log.snapshots),
      points: [...this.index.points],
      published: [...this.events.published],
    };
    try {
      const result = await work({ log: this.log, index: this.index, events: this.events });
      this.commits += 1;
      return result;
    } catch (err) {
      this.log.entries = before.entries;
      this.log.snapshots = before.snapshots;
      this.index.points = before.points;
      this.events.published = before.published;
      throw err;
    }
  }
}

export class InMemoryIssuedQuotes implements IssuedQuotes {
  quotes: Array<{ quote: Quote; tier: string }> = [];

  async record(quotes: Array<{ quote: Quote; tier: string }>): Promise<void> {
    for (const q of quotes)
      if (this.quotes.some((o) => o.quote.nonce === q.quote.nonce))
        throw new Error(`duplicate nonce ${q.quote.nonce}`);
    this.quotes.push(...quotes);
  }
}

/** Signs with a readable stand-in signature: "sig(<nonce>)". */
export class FakeQuoteSigner implements QuoteSigner {
  readonly address = '0x00000000000000000000000000000000000000a1';
  readonly chainId = 31337n;
  readonly escrow = '0x00000000000000000000000000000000000000e5';
  signed: Quote[] = [];

  async sign(quote: Quote): Promise<string> {
    this.signed.push(quote);
    return `sig(${quote.nonce})`;
  }
}

/**
 * Readable encodings: addresses become lower case (the "checksum"), job ids and tiers are
 * prefixed, nonces count up from 1.
 */
export class FakeEscrowEncoding implements EscrowEncoding {
  private n = 0n;

  address(input: string): string | undefined {
    return /^0x[0-9a-fA-F]{40}$/.test(input) ? input.toLowerCase() : undefined;
  }

  jobId(uuid: string): string {
    return `job:${uuid}`;
  }

  tier(tierKey: string): string {
    return `tier:${tierKey}`;
  }

  nonce(): bigint {
    this.n += 1n;
    return this.n;
  }
}

/** An envelope as the consumer hands it over. */
export function envelope<E extends TypedEvent>(
  event: E,
  opts: { eventId: string; at: number },
): EventEnvelope<E> {
  return {
    eventId: opts.eventId,
    type: event.type,
    schemaVersion: 1,
    aggregateId: opts.eventId,
    aggregateVersion: 0,
    occurredAt: new Date(opts.at),
    causationId: '',
    correlationId: opts.eventId,
    traceparent: '',
    tracestate: '',
    deploymentId: 'test',
    producer: 'test',
    event,
  };
}

/** A node of `gpus` H100s in `region`, as recorded from its NodeJoined. */
export const h100Node = (region: string, name: string, gpus = 8, at = 0): SignalEvent => ({
  kind: 'node-up',
  at,
  node: `${region}/${name}`,
  region,
  gpuClass: 'H100-80GB',
  gpus,
  vramMiB: 81559,
});
