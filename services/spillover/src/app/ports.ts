import { type JsonLogger } from '@starminer/service-kit';
import { type LatencyNeed, type NodeFree, type WaitingJob } from '../domain/routing-types';
import { type TierPrice } from '../domain/tier-prices';

/** A waiting job as the read model holds it, with the routing note last recorded on it. */
export type WaitingJobView = WaitingJob & { routingNote: string };

/** Spillover's read model as the planner reads it (Postgres in production). */
export interface RoutingReadModel {
  /** Jobs waiting for a placement whose funded tier is known. */
  waitingJobs(): Promise<WaitingJobView[]>;
  /** Free GPUs per healthy node: allocatable minus the GPUs of jobs matched or running there. */
  freeNodes(): Promise<NodeFree[]>;
  /** The last price published for each tier. */
  prices(): Promise<TierPrice[]>;
}

/** A change to one job's row, from one job event (fields left out stay as they are). */
export interface JobChange {
  status?: string;
  region?: string;
  quoteRegion?: string;
  product?: string;
  quotePrice?: bigint;
  waitingSince?: Date;
  /** Placement holding GPUs; null releases them. */
  hold?: { region: string; node: string; gpus: number } | null;
  routingNote?: string;
}

export interface NewJob {
  jobId: string;
  gpus: number;
  minVramMiB: number;
  urgency: number;
  latency: LatencyNeed;
}

export interface NodeRow {
  region: string;
  node: string;
  product: string;
  memoryMiB: number;
  gpus: number;
}

/**
 * Writes to spillover's read model, bound to the event consumer's transaction (the one that
 * records the inbox row), so an event is projected exactly once.
 */
export interface RoutingProjection {
  /** A new job at `version`; a job already known is left as it is. */
  insertJob(j: NewJob, version: number): Promise<void>;
  /** Applies a change and moves the job's version forward (never back: redelivery is harmless). */
  changeJob(jobId: string, version: number, c: JobChange): Promise<void>;
  upsertNode(n: NodeRow): Promise<void>;
  setQuarantined(region: string, node: string, quarantined: boolean): Promise<void>;
  deleteNode(region: string, node: string): Promise<void>;
  setPrice(product: string, region: string, urgency: number, price: bigint): Promise<void>;
}

/** The matchmaker, owner of the Job aggregate, seen from spillover (gRPC in production). */
export interface MatchmakerPort {
  /**
   * Proposes moving a waiting job. 'refused' when the matchmaker turned it down (the job changed
   * since `expectedVersion`, or the move breaks its budget); throws when it could not be asked.
   */
  reroute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<{ outcome: 'applied' } | { outcome: 'refused'; message: string }>;
  /** Records why a waiting job cannot move (GetJob shows it). */
  note(jobId: string, reason: string): Promise<void>;
}

/** Publishes JobRerouteProposed (through spillover's outbox, in a transaction of its own). */
export interface ProposalPublisher {
  proposed(p: {
    jobId: string;
    proposalId: string;
    fromRegion: string;
    toRegion: string;
    rttMs: number;
    price: bigint;
    reason: string;
  }): Promise<void>;
}

/** Whether each region's API server answers (probed by spillover itself). */
export interface Reachability {
  reachable(region: string): boolean;
}

/** The structured log the use cases write (the service's JsonLogger in production). */
export type Log = Pick<JsonLogger, 'info' | 'warn'>;
