/**
 * What spillover sees when it plans: the jobs waiting in each region, the free GPUs per node,
 * which regions answer, the latency matrix and the tier prices. All plain data; times are passed
 * in as milliseconds (the domain reads no clock).
 */

export type LatencyNeed =
  { mode: 'batch' } | { mode: 'interactive'; clientRegion: string; maxRttMs: number };

/** A job the matchmaker holds in a queue (Queued, or Overflowed after its placement deadline). */
export interface WaitingJob {
  jobId: string;
  /** Job aggregate version the view is at; a reroute is proposed against it. */
  version: number;
  status: 'Queued' | 'Overflowed';
  /** Region the job waits in now (its quoted region, or where it was rerouted to). */
  region: string;
  /** Region of the funded quote. */
  quoteRegion: string;
  /** GPU product label of the funded tier (one tier: product x region x urgency). */
  product: string;
  gpus: number;
  minVramMiB: number;
  urgency: number;
  /** Price per GPU-second the escrow was funded at; a move must not exceed it. */
  quotePrice: bigint;
  latency: LatencyNeed;
  /** When the job started waiting in its region (epoch ms). */
  waitingSinceMs: number;
}

/** Free GPUs of one node (allocatable minus what matched and running jobs hold). */
export interface NodeFree {
  region: string;
  node: string;
  product: string;
  memoryMiB: number;
  free: number;
}

export interface RegionState {
  name: string;
  /** The region's API server answered the last probes. */
  reachable: boolean;
}

export interface PlanOptions {
  /**
   * A queued job that cannot be placed where it waits spills this long after it started waiting
   * (saturation), without waiting for its placement deadline. Overflowed jobs and jobs of an
   * unreachable region move at once.
   */
  spillAfterMs: number;
}

export interface PlanInput {
  nowMs: number;
  jobs: readonly WaitingJob[];
  nodes: readonly NodeFree[];
  regions: readonly RegionState[];
  rttMs(from: string, to: string): number | undefined;
  /** Published price of a tier, token base units per GPU-second; undefined if none. */
  price(product: string, region: string, urgency: number): bigint | undefined;
  options: PlanOptions;
}

/** A region that can take a job, with what ranks it. */
export interface Candidate {
  region: string;
  rttMs: number;
  price: bigint;
  /** Free GPUs of the job's product in the region. */
  freeGpus: number;
}

export type DecisionKind = 'stay' | 'reroute' | 'blocked';

export interface RoutingDecision {
  jobId: string;
  version: number;
  status: WaitingJob['status'];
  region: string;
  decision: DecisionKind;
  /** Set for reroute. */
  target?: Candidate;
  /**
   * True when the job is due to move (overflowed, its region saturated past spillAfterMs, or
   * unreachable): a blocked job that is due gets its reason recorded on the job.
   */
  due: boolean;
  reason: string;
  waitingSinceMs: number;
}
