import { chainIndexerV1, commonV1, matchmakerV1, pricingV1 } from '@starminer/proto';
import { type Clock } from '@starminer/service-kit';
import { type Principal, SCOPES, type Scope } from '../domain/api-key';
import { ApiError } from '../domain/errors';
import { type BucketPolicy, type BucketState, takeToken } from '../domain/token-bucket';
import {
  type ApiKeyVerifier,
  type Downstream,
  type JobUpdate,
  type JobWatches,
  type RateLimiter,
  type SessionVerifier,
  type SubmittedJobs,
} from './ports';

export const WALLET_A = '0x00000000000000000000000000000000000000aa';
export const WALLET_B = '0x00000000000000000000000000000000000000bb';

export const sessionOf = (tenant: string): Principal => ({
  tenant,
  via: 'session',
  scopes: new Set(SCOPES),
});

export const keyOf = (tenant: string, keyId: string, scopes: Scope[]): Principal => ({
  tenant,
  via: 'api-key',
  keyId,
  scopes: new Set(scopes),
});

/** Credentials by their presented form: API keys, or session tokens. */
export class FakeCredentials implements ApiKeyVerifier, SessionVerifier {
  constructor(private readonly known: Record<string, Principal>) {}

  async authenticate(presented: string): Promise<Principal | undefined> {
    return this.known[presented];
  }
}

/**
 * Token buckets in memory, as the Postgres limiter keeps them: every bucket named gives a token,
 * or the take fails with the longest wait and none of them is charged.
 */
export class InMemoryRateLimiter implements RateLimiter {
  readonly buckets = new Map<string, BucketState>();

  constructor(private readonly clock: Clock) {}

  async take(list: Array<{ bucket: string; policy: BucketPolicy }>): Promise<void> {
    const next = new Map<string, BucketState>();
    let wait = 0;
    for (const { bucket, policy } of list) {
      const r = takeToken(policy, this.buckets.get(bucket), this.clock.nowMs());
      if (!r.allowed) wait = Math.max(wait, r.retryAfterSeconds);
      next.set(bucket, r.state);
    }
    if (wait)
      throw new ApiError('RATE_LIMITED', `rate limit reached: retry after ${wait} s`, [], wait);
    for (const [bucket, state] of next) this.buckets.set(bucket, state);
  }
}

/** A job id of the matchmaker's form (a UUID), numbered. */
export const jobIdOf = (n: number): string =>
  `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

const FINAL = new Set([
  commonV1.JobState.JOB_STATE_CANCELLED,
  commonV1.JobState.JOB_STATE_SETTLED,
  commonV1.JobState.JOB_STATE_EXPIRED,
]);

/**
 * The owning services in memory: a matchmaker that keeps jobs (idempotent by key, paged by
 * client), a pricing that answers quotes and its price book, a chain-indexer that knows
 * balances. Every call is recorded; while `down`, every call fails as an unreachable service.
 */
export class FakeDownstream implements Downstream {
  readonly calls: string[] = [];
  readonly jobs = new Map<string, matchmakerV1.Job>();
  readonly submitted: matchmakerV1.SubmitJobRequest[] = [];
  readonly quoted: pricingV1.QuoteRequest[] = [];
  readonly byKey = new Map<string, string>();
  priceBookResponse = pricingV1.GetPriceBookResponse.fromPartial({ version: '7', strategy: 's' });
  readonly balancesOf = new Map<string, chainIndexerV1.GetBalancesResponse>();
  down = false;

  private reach(call: string): void {
    this.calls.push(call);
    if (this.down) throw new ApiError('DOWNSTREAM_UNAVAILABLE', `${call}: unavailable`);
  }

  /** A job the matchmaker holds for `clientId`, outside the gateway (or through it). */
  put(clientId: string, over: Partial<matchmakerV1.Job> = {}): matchmakerV1.Job {
    const job = matchmakerV1.Job.fromPartial({
      jobId: jobIdOf(this.jobs.size + 1),
      client: clientId,
      clientId,
      state: commonV1.JobState.JOB_STATE_SUBMITTED,
      version: '1',
      ...over,
    });
    this.jobs.set(job.jobId, job);
    return job;
  }

  async submitJob(r: matchmakerV1.SubmitJobRequest): Promise<matchmakerV1.SubmitJobResponse> {
    this.reach('matchmaker.submitJob');
    this.submitted.push(r);
    const known = this.byKey.get(r.idempotencyKey);
    if (known) return { job: this.jobs.get(known) };
    const job = this.put(r.clientId, { spec: r.spec });
    this.byKey.set(r.idempotencyKey, job.jobId);
    return { job };
  }

  async getJob(r: matchmakerV1.GetJobRequest): Promise<matchmakerV1.GetJobResponse> {
    this.reach('matchmaker.getJob');
    const job = this.jobs.get(r.jobId);
    if (!job) throw new ApiError('NOT_FOUND', `matchmaker: job ${r.jobId} not found`);
    return { job };
  }

  async cancelJob(r: matchmakerV1.CancelJobRequest): Promise<matchmakerV1.CancelJobResponse> {
    this.reach('matchmaker.cancelJob');
    const job = this.jobs.get(r.jobId);
    if (!job) throw new ApiError('NOT_FOUND', `matchmaker: job ${r.jobId} not found`);
    if (FINAL.has(job.state)) throw new ApiError('CONFLICT', `matchmaker: job ${r.jobId} ended`);
    const cancelled = {
      ...job,
      state: commonV1.JobState.JOB_STATE_CANCELLED,
      endReason: r.reason,
    };
    this.jobs.set(r.jobId, cancelled);
    return { job: cancelled };
  }

  async listJobs(r: matchmakerV1.ListJobsRequest): Promise<matchmakerV1.ListJobsResponse> {
    this.reach('matchmaker.listJobs');
    const all = [...this.jobs.values()].filter((j) => j.clientId === r.clientId);
    const from = Number(r.pageToken || '0');
    const page = all.slice(from, from + r.pageSize);
    const end = from + page.length;
    return { jobs: page, nextPageToken: end < all.length ? String(end) : '' };
  }

  async quote(r: pricingV1.QuoteRequest): Promise<pricingV1.QuoteResponse> {
    this.reach('pricing.quote');
    this.quoted.push(r);
    return pricingV1.QuoteResponse.fromPartial({
      result: { $case: 'offers', value: { offers: [] } },
    });
  }

  async priceBook(r: pricingV1.GetPriceBookRequest): Promise<pricingV1.GetPriceBookResponse> {
    this.reach(`pricing.priceBook ${r.region}`);
    return this.priceBookResponse;
  }

  async balances(
    r: chainIndexerV1.GetBalancesRequest,
  ): Promise<chainIndexerV1.GetBalancesResponse> {
    this.reach('chainIndexer.balances');
    return (
      this.balancesOf.get(r.address) ??
      chainIndexerV1.GetBalancesResponse.fromPartial({ address: r.address })
    );
  }
}

/** The gateway's job index in memory: one row per job id, first record wins. */
export class InMemorySubmittedJobs implements SubmittedJobs {
  readonly rows = new Map<string, { tenant: string; template: string; idempotencyKey: string }>();

  async record(jobId: string, tenant: string, template: string, key: string): Promise<void> {
    if (!this.rows.has(jobId)) this.rows.set(jobId, { tenant, template, idempotencyKey: key });
  }

  async ownedBy(jobId: string, tenant: string): Promise<{ template: string } | undefined> {
    const row = this.rows.get(jobId);
    return row && row.tenant === tenant ? { template: row.template } : undefined;
  }

  async templatesOf(jobIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of jobIds) {
      const row = this.rows.get(id);
      if (row) out.set(id, row.template);
    }
    return out;
  }
}

/** Job events delivered by hand (`emit`) to the watches of their job. */
export class FakeJobWatches implements JobWatches {
  private readonly listeners = new Map<string, Set<(u: JobUpdate) => void>>();

  subscribe(jobId: string, listener: (u: JobUpdate) => void): () => void {
    const set = this.listeners.get(jobId) ?? new Set();
    set.add(listener);
    this.listeners.set(jobId, set);
    return () => set.delete(listener);
  }

  watching(jobId: string): number {
    return this.listeners.get(jobId)?.size ?? 0;
  }

  emit(u: JobUpdate): void {
    for (const l of this.listeners.get(u.jobId) ?? []) l(u);
  }
}
