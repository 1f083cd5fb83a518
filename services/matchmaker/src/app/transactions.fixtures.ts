import { type InMemoryJobs } from './jobs.fixtures';
import { type InMemoryMarket } from './market.fixtures';
import {
  type ConsumedEventStore,
  type MatchLock,
  type SubmissionKeys,
  type Submissions,
  type SubmitTransaction,
} from './ports';

/**
 * Submissions over the in-memory jobs: idempotency keys, and a unit of work that rolls back the
 * keys and the job streams when its work throws.
 */
export class InMemorySubmissions implements Submissions, SubmissionKeys {
  readonly claims = new Map<string, string>();
  readonly keys: SubmissionKeys = this;
  transactions = 0;

  constructor(private readonly jobs: InMemoryJobs) {}

  async jobOf(clientId: string, idempotencyKey: string): Promise<string | undefined> {
    return this.claims.get(`${clientId}/${idempotencyKey}`);
  }

  async claim(clientId: string, idempotencyKey: string, jobId: string): Promise<boolean> {
    const key = `${clientId}/${idempotencyKey}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, jobId);
    return true;
  }

  async transact<T>(work: (tx: SubmitTransaction) => Promise<T>): Promise<T> {
    this.transactions++;
    const restoreJobs = this.jobs.snapshot();
    const claims = new Map(this.claims);
    try {
      return await work({ keys: this, jobs: this.jobs });
    } catch (err) {
      restoreJobs();
      this.claims.clear();
      for (const [k, v] of claims) this.claims.set(k, v);
      throw err;
    }
  }
}

/**
 * The consumer's transaction over the in-memory jobs and market. Refused commands write nothing
 * there (the domain decides before anything is appended), as the savepoint ensures in Postgres.
 */
export function consumedEventStore(jobs: InMemoryJobs, market: InMemoryMarket): ConsumedEventStore {
  return {
    jobs,
    market,
    hasJob: async (jobId) => jobs.hasJob(jobId),
    fundedBy: async (eventIds) => jobs.fundedBy(eventIds),
  };
}

/** The match lock: free unless `heldElsewhere`; counts the rounds that ran. */
export class InMemoryMatchLock implements MatchLock {
  heldElsewhere = false;
  rounds = 0;

  async runExclusive(work: () => Promise<void>): Promise<boolean> {
    if (this.heldElsewhere) return false;
    this.rounds++;
    await work();
    return true;
  }
}
