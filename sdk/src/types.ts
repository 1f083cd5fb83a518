/** Public types of the SDK: plain JSON-friendly objects, amounts as decimal strings of AGPU base units. */

export const URGENCIES = ['low', 'normal', 'high', 'critical'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const JOB_CLASSES = ['training', 'inference', 'rendering', 'other'] as const;
export type JobClass = (typeof JOB_CLASSES)[number];

/** Job states as the gateway names them. */
export const JOB_STATES = [
  'SUBMITTED',
  'QUOTED',
  'FUNDED',
  'QUEUED',
  'MATCHED',
  'DISPATCHED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'SETTLED',
  'OVERFLOWED',
  'EXPIRED',
  'REROUTED',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** After these nothing more happens to a job. */
export const FINAL_STATES: readonly JobState[] = ['SETTLED', 'CANCELLED', 'EXPIRED'];
/** The workload has ended (settlement may still follow). */
export const ENDED_STATES: readonly JobState[] = [
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'EXPIRED',
  'SETTLED',
];

export type Latency =
  { mode: 'batch' } | { mode: 'interactive'; clientRegion: string; maxRttMs: number };

export interface JobSpecInput {
  workload: { image: string; command?: string[]; args?: string[]; env?: Record<string, string> };
  /** `product` (a GPU feature-discovery label such as NVIDIA-H100-80GB-HBM3) or `minVramMib`. */
  gpu: { product?: string; count: number; minVramMib?: number };
  jobClass: JobClass;
  maxDurationSeconds: number;
}

/**
 * Scripted behaviour of the simulated (kwok) GPU node a job lands on. A local-stack feature: only
 * a gateway and matchmaker started for simulation accept it; production refuses it.
 */
export interface Simulation {
  /** Go duration the pod runs, e.g. "5s". */
  runtime: string;
  fail?: boolean;
  exitCode?: number;
}

/** What to run: a template with parameters or a full spec, plus the submitter's choices. */
export interface JobRequest {
  template?: { name: string; version?: string; parameters?: Record<string, unknown> };
  spec?: JobSpecInput;
  urgency?: Urgency;
  /** Preferred regions, best first. */
  regionPreference?: string[];
  latency?: Latency;
  /** Highest total price accepted, decimal AGPU base units. */
  maxPrice?: string;
  /** A second submit with the same key returns the first job(s) instead of new ones. */
  idempotencyKey?: string;
  /** Local stack only; see Simulation. */
  simulation?: Simulation;
}

/** The signed price quote a job carries; the escrow accepts a deposit against it. */
export interface JobQuote {
  quoteId: string;
  gpuProduct: string;
  region: string;
  pricePerGpuSecond: string;
  /** The deposit the escrow needs: price x GPUs x max duration. */
  total: string;
  expiresAt: string;
  signer: string;
  /** 0x hex. */
  signature: string;
}

export interface Job {
  jobId: string;
  client: string;
  state: JobState;
  /** Template the job was expanded from, when the gateway reported it. */
  template: string;
  urgency: Urgency | 'unspecified';
  jobClass: JobClass | 'unspecified';
  regionPreference: string[];
  gpu: { product: string; count: number; minVramMib: number };
  maxDurationSeconds: number;
  image: string;
  placement?: { region: string; provider: string; pool: string };
  quote?: JobQuote;
  gpuSeconds: number;
  /** Metered cost so far, AGPU base units. */
  cost: string;
  endReason: string;
  submittedAt: string;
  updatedAt: string;
  attempt: number;
}

/** Exactly the EIP-712 quote JobEscrow.fund verifies. */
export interface SignedQuote {
  jobId: string;
  client: string;
  pricePerGpuSecond: string;
  maxGpuSeconds: string;
  tier: string;
  maxDuration: string;
  expiry: string;
  nonce: string;
  chainId: string;
  escrow: string;
  signer: string;
  signature: string;
}

export interface QuoteOffer {
  tier: { gpuClass: string; region: string; urgency: Urgency | 'unspecified' };
  pricePerGpuSecond: string;
  /** The escrow deposit: price x GPUs x max duration. */
  maxTotal: string;
  estimatedStart?: string;
  freeGpus: number;
  quote?: SignedQuote;
}

/** One pricing answer per job the request expands to (a render splits into several). */
export type QuoteResult =
  { feasible: true; offers: QuoteOffer[] } | { feasible: false; reason: string; message: string };

export interface WatchEvent {
  jobId: string;
  /** Job event behind this update (e.g. "JobStarted"); "Snapshot" for the first. */
  eventType: string;
  state: JobState;
  /** 0-100 by lifecycle stage. */
  progressPercent: number;
  occurredAt: string;
  final: boolean;
  job?: Job;
}

export interface TemplateSummary {
  name: string;
  version: string;
  title: string;
  description: string;
  jobClass: string;
}

export interface TemplateDescription extends TemplateSummary {
  parameters: Record<string, unknown>;
  versions: string[];
}

export interface ListJobsFilter {
  state?: JobState;
  template?: string;
  region?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface Balances {
  address: string;
  /** AGPU the wallet holds. */
  agpuBalance: string;
  /** Deposits of the caller's jobs the escrow still holds. */
  escrowed: string;
  /** Refunds and reclaims the escrow credited to the caller, all time. */
  refunded: string;
  /** Credit in JobEscrow the wallet can withdraw (refunds, reclaims, payouts). */
  withdrawable: string;
  fundedJobs: number;
  /** Block the gateway's figures are current at; 'chain' when read from the chain directly. */
  asOfBlock: string;
}

export interface TierPrice {
  gpuClass: string;
  region: string;
  urgency: Urgency | 'unspecified';
  pricePerGpuSecond: string;
  updatedAt: string;
  queuedGpus: number;
  freeGpus: number;
}
