import { type chainIndexerV1, type matchmakerV1, type pricingV1 } from '@starminer/proto';
import { type Principal } from '../domain/api-key';
import { type JobStateName } from '../domain/job-progress';
import { type BucketPolicy } from '../domain/token-bucket';

/** API keys as authentication sees them: the caller a presented key stands for, if any. */
export interface ApiKeyVerifier {
  /** Undefined for a key that is unknown, malformed or revoked. */
  authenticate(presented: string): Promise<Principal | undefined>;
}

/** Sign-In with Ethereum sessions as authentication sees them. */
export interface SessionVerifier {
  /** Undefined for a token that is unknown, expired or signed out. */
  authenticate(token: string): Promise<Principal | undefined>;
}

/** Token buckets shared by every replica. */
export interface RateLimiter {
  /**
   * Takes a token from every bucket named, or none of them and throws ApiError RATE_LIMITED
   * with the longest wait.
   */
  take(buckets: Array<{ bucket: string; policy: BucketPolicy }>): Promise<void>;
}

/*
 * The owning services the gateway forwards to (gRPC in production). Each call rejects with the
 * public ApiError: INVALID_REQUEST, NOT_FOUND, CONFLICT, or DOWNSTREAM_UNAVAILABLE.
 */

export interface Matchmaker {
  submitJob(r: matchmakerV1.SubmitJobRequest): Promise<matchmakerV1.SubmitJobResponse>;
  getJob(r: matchmakerV1.GetJobRequest): Promise<matchmakerV1.GetJobResponse>;
  cancelJob(r: matchmakerV1.CancelJobRequest): Promise<matchmakerV1.CancelJobResponse>;
  listJobs(r: matchmakerV1.ListJobsRequest): Promise<matchmakerV1.ListJobsResponse>;
}

export interface Pricing {
  quote(r: pricingV1.QuoteRequest): Promise<pricingV1.QuoteResponse>;
  priceBook(r: pricingV1.GetPriceBookRequest): Promise<pricingV1.GetPriceBookResponse>;
}

export interface ChainIndexer {
  balances(r: chainIndexerV1.GetBalancesRequest): Promise<chainIndexerV1.GetBalancesResponse>;
}

export type Downstream = Matchmaker & Pricing & ChainIndexer;

/**
 * The jobs submitted through the gateway and their owners: what object-level authorization
 * checks first, and what ListJobs filters by template with.
 */
export interface SubmittedJobs {
  /** Records a job once (a second record of the same job id changes nothing). */
  record(jobId: string, tenant: string, template: string, idempotencyKey: string): Promise<void>;
  /** The job's template ('' for a plain spec) when the tenant owns it; else undefined. */
  ownedBy(jobId: string, tenant: string): Promise<{ template: string } | undefined>;
  /** Templates of the jobs known here; jobs not submitted through the gateway are left out. */
  templatesOf(jobIds: string[]): Promise<Map<string, string>>;
}

/** A job event as a watch shows it: the state it leads to. */
export interface JobUpdate {
  jobId: string;
  eventType: string;
  state: JobStateName;
  occurredAt: Date;
}

/** The job events of the gateway's deployment as they arrive, per job. */
export interface JobWatches {
  /** Calls `listener` with every later event of the job; returns the unsubscribe. */
  subscribe(jobId: string, listener: (u: JobUpdate) => void): () => void;
}
