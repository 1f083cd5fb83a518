// In-memory fakes of the reputation ports, for the app-layer specs (excluded from the build).
import { type RewardAllocation, type RewardClaim } from '@starminer/chain';
import { type EventEnvelope, type TypedEvent } from '@starminer/eventing';
import { type Evidence } from '../domain/evidence';
import { type JobFacts } from '../domain/job-outcome';
import { type ScoreBreakdown } from '../domain/score';
import {
  type BuiltRewardTree,
  type EpochTransaction,
  type EpochUnitOfWork,
  type EvidenceStore,
  type ListQuery,
  type NewReputationEvent,
  type ReputationEventSink,
  type ReputationStore,
  type RewardEpochReader,
  type RewardEpochStore,
  type RewardRootPoster,
  type RewardTrees,
  type ScoreStore,
  type StoredEpoch,
  type StoredScore,
} from './ports';

/** Evidence, job facts and stakes, with the Postgres adapter's rules (see EvidenceStore). */
export class InMemoryEvidence implements EvidenceStore {
  rows: Evidence[] = [];
  jobs = new Map<string, JobFacts>();
  stakeRows = new Map<string, { stake: bigint; block: number; logIndex: number }>();

  async add(evidence: readonly Evidence[]): Promise<void> {
    for (const e of evidence)
      if (!this.rows.some((r) => r.eventId === e.eventId && r.kind === e.kind))
        this.rows.push(structuredClone(e));
  }

  async forProvider(provider: string, fromMs: number): Promise<Evidence[]> {
    return this.rows.filter((r) => r.provider === provider && r.atMs >= fromMs);
  }

  async closeQuarantine(
    provider: string,
    node: string,
    endMs: number,
  ): Promise<string | undefined> {
    const open = this.rows.filter(
      (r) =>
        r.provider === provider &&
        r.kind === 'quarantine' &&
        r.node === node &&
        r.endMs === undefined,
    );
    for (const r of open) if (r.kind === 'quarantine') r.endMs = endMs;
    return open[0]?.pool;
  }

  async voidEvents(eventIds: readonly string[]): Promise<string[]> {
    const voided = this.rows.filter((r) => eventIds.includes(r.eventId));
    this.rows = this.rows.filter((r) => !eventIds.includes(r.eventId));
    return [...new Set(voided.map((r) => r.provider))];
  }

  async job(jobId: string): Promise<JobFacts | undefined> {
    const f = this.jobs.get(jobId);
    return f && { ...f };
  }

  async saveJob(facts: JobFacts): Promise<void> {
    this.jobs.set(facts.jobId, { ...facts });
  }

  async setStake(provider: string, stake: bigint, block: number, logIndex: number): Promise<void> {
    const old = this.stakeRows.get(provider);
    if (old && (old.block > block || (old.block === block && old.logIndex > logIndex))) return;
    this.stakeRows.set(provider, { stake, block, logIndex });
  }

  async stakes(): Promise<Map<string, bigint>> {
    return new Map([...this.stakeRows].map(([p, s]) => [p, s.stake]));
  }
}

const sortKey = (s: StoredScore, sort: ListQuery['sort']): string | number =>
  sort === 'score' ? s.scoreBps : sort === 'provider' ? s.provider : s.asOfMs;

function compare(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** Provider and pool scores, stored as the Postgres adapter stores them (no contributions). */
export class InMemoryScores implements ScoreStore {
  rows = new Map<string, StoredScore>();

  async get(provider: string, pool: string): Promise<StoredScore | undefined> {
    return this.rows.get(`${provider}|${pool}`);
  }

  async save(provider: string, pool: string, b: ScoreBreakdown): Promise<void> {
    const { contributions: _omit, ...breakdown } = b;
    this.rows.set(`${provider}|${pool}`, {
      provider,
      pool,
      scoreBps: b.scoreBps,
      asOfMs: b.asOfMs,
      breakdown,
    });
  }

  async poolsOf(provider: string): Promise<string[]> {
    return [...this.rows.values()]
      .filter((s) => s.provider === provider && s.pool !== '')
      .map((s) => s.pool)
      .sort();
  }

  async providers(): Promise<StoredScore[]> {
    return [...this.rows.values()]
      .filter((s) => s.pool === '')
      .sort((a, b) => (a.provider < b.provider ? -1 : 1));
  }

  async list(q: ListQuery): Promise<StoredScore[]> {
    const dir = q.descending ? -1 : 1;
    const key = (s: StoredScore) => [sortKey(s, q.sort), s.provider, s.pool];
    const after = q.after && [
      q.sort === 'provider' ? q.after.value : Number(q.after.value),
      q.after.provider,
      q.after.pool,
    ];
    return [...this.rows.values()]
      .filter((s) => (q.pools ? s.pool !== '' : s.pool === ''))
      .filter((s) => !q.provider || s.provider === q.provider)
      .filter((s) => !after || compare(key(s), after) * dir > 0)
      .sort((a, b) => compare(key(a), key(b)) * dir)
      .slice(0, q.limit);
  }
}

export class RecordedReputationEvents implements ReputationEventSink {
  published: Array<NewReputationEvent & { cause: EventEnvelope }> = [];

  async publish(cause: EventEnvelope, events: NewReputationEvent[]): Promise<void> {
    this.published.push(...events.map((e) => ({ ...e, cause })));
  }
}

export function inMemoryReputationStore(): ReputationStore & {
  evidence: InMemoryEvidence;
  scores: InMemoryScores;
  events: RecordedReputationEvents;
} {
  return {
    evidence: new InMemoryEvidence(),
    scores: new InMemoryScores(),
    events: new RecordedReputationEvents(),
  };
}

/** Epoch trees; a posted one is never replaced. */
export class InMemoryEpochs implements RewardEpochStore, RewardEpochReader {
  rows = new Map<bigint, StoredEpoch>();

  async save(e: Omit<StoredEpoch, 'status' | 'postTx'>): Promise<void> {
    const old = this.rows.get(e.epoch);
    if (old?.status === 'posted') return;
    this.rows.set(e.epoch, { ...e, status: 'built', postTx: old?.postTx ?? '' });
  }

  async markPosted(epoch: bigint, postTx: string): Promise<void> {
    const old = this.rows.get(epoch);
    if (old) this.rows.set(epoch, { ...old, status: 'posted', postTx });
  }

  async latestBuilt(): Promise<StoredEpoch | undefined> {
    return [...this.rows.values()]
      .filter((e) => e.status === 'built')
      .sort((a, b) => (a.epoch > b.epoch ? -1 : 1))[0];
  }

  async get(epoch: bigint): Promise<StoredEpoch | undefined> {
    return this.rows.get(epoch);
  }

  async posted(limit: number): Promise<StoredEpoch[]> {
    return [...this.rows.values()]
      .filter((e) => e.status === 'posted')
      .sort((a, b) => (a.epoch > b.epoch ? -1 : 1))
      .slice(0, limit);
  }
}

/**
 * The epoch runner's transactions over in-memory epochs, evidence and scores: what was written
 * since the last commit is undone when the work throws; `lockedElsewhere` plays another replica.
 */
export class InMemoryEpochRuns implements EpochUnitOfWork {
  readonly epochs = new InMemoryEpochs();
  readonly evidence = new InMemoryEvidence();
  readonly scores = new InMemoryScores();
  lockedElsewhere = false;
  commits = 0;

  async transact<T>(work: (tx: EpochTransaction) => Promise<T>): Promise<T> {
    let committed = new Map(this.epochs.rows);
    try {
      const result = await work({
        tryLock: async () => !this.lockedElsewhere,
        commit: async () => {
          committed = new Map(this.epochs.rows);
          this.commits += 1;
        },
        epochs: this.epochs,
        evidence: this.evidence,
        scores: this.scores,
      });
      this.commits += 1;
      return result;
    } catch (err) {
      this.epochs.rows = committed;
      throw err;
    }
  }
}

interface FakeTree {
  epoch: string;
  allocations: Array<{ account: string; amount: string }>;
}

/** Trees as readable JSON: root "0xroot-<epoch>-<accounts>", proofs ["proof-of-<account>"]. */
export const fakeRewardTrees: RewardTrees = {
  build(epoch: bigint, allocations: readonly RewardAllocation[]): BuiltRewardTree {
    const tree: FakeTree = {
      epoch: epoch.toString(),
      allocations: allocations.map((a) => ({ account: a.account, amount: a.amount.toString() })),
    };
    return {
      root: `0xroot-${epoch}-${allocations.length}`,
      total: allocations.reduce((s, a) => s + a.amount, 0n),
      tree: JSON.stringify(tree),
    };
  },
  claimFor(tree: string, account: string): RewardClaim | undefined {
    const t = JSON.parse(tree) as FakeTree;
    const a = t.allocations.find((x) => x.account.toLowerCase() === account.toLowerCase());
    return (
      a && {
        epoch: BigInt(t.epoch),
        account: a.account,
        amount: BigInt(a.amount),
        proof: [`proof-of-${a.account}`],
      }
    );
  },
  accounts: (tree: string) => (JSON.parse(tree) as FakeTree).allocations.length,
};

/** A RewardDistributor: epochs count up as roots are posted; `failPosts` makes posting fail. */
export class FakeRewardDistributor implements RewardRootPoster {
  readonly distributor = '0x00000000000000000000000000000000000000d1';
  readonly chainId = 31337n;
  next = 1n;
  unallocated = 0n;
  roots = new Map<bigint, string>();
  posts: Array<{ epoch: bigint; root: string; total: bigint }> = [];
  failPosts: Error | undefined;

  async nextEpoch(): Promise<bigint> {
    return this.next;
  }

  async available(): Promise<bigint> {
    return this.unallocated;
  }

  async rootOf(epoch: bigint): Promise<string> {
    return this.roots.get(epoch) ?? `0x${'0'.repeat(64)}`;
  }

  async post(epoch: bigint, root: string, total: bigint): Promise<{ transactionHash: string }> {
    if (this.failPosts) throw this.failPosts;
    this.posts.push({ epoch, root, total });
    this.roots.set(epoch, root);
    this.next = epoch + 1n;
    this.unallocated -= total;
    return { transactionHash: `0xtx-${epoch}` };
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
    correlationId: `corr-${opts.eventId}`,
    traceparent: '',
    tracestate: '',
    deploymentId: 'test',
    producer: 'test',
    event,
  };
}
