import {
  type Balances,
  type Job,
  type JobRequest,
  type ListJobsFilter,
  type QuoteResult,
  type TemplateDescription,
  type TemplateSummary,
  type TierPrice,
  type WatchEvent,
} from './types';

/** Credentials a transport sends with every call. */
export type Credentials = { apiKey: string } | { sessionToken: string } | Record<string, never>;

/**
 * What the client needs from the gateway, whatever carries it. REST and gRPC implement it; both
 * return the SDK's plain types and throw SdkError.
 */
export interface Transport {
  readonly kind: 'rest' | 'grpc';
  listTemplates(): Promise<TemplateSummary[]>;
  describeTemplate(name: string, version?: string): Promise<TemplateDescription>;
  quote(req: JobRequest): Promise<QuoteResult[]>;
  submit(req: JobRequest & { idempotencyKey: string }): Promise<Job[]>;
  getJob(jobId: string): Promise<Job>;
  listJobs(filter: ListJobsFilter): Promise<{ jobs: Job[]; nextPageToken: string }>;
  cancel(jobId: string, reason: string): Promise<Job>;
  /** Snapshot first, then every change; ends after a final state or when `signal` aborts. */
  watch(jobId: string, signal?: AbortSignal): AsyncIterable<WatchEvent>;
  balances(): Promise<Balances>;
  priceBook(region?: string): Promise<TierPrice[]>;
  close(): void;
}
