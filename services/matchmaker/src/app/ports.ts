import { type EventEnvelope, type JobEvent } from '@starminer/eventing';
import { type commonV1 } from '@starminer/proto';
import { type JsonLogger } from '@starminer/service-kit';
import { type Reservation } from '../domain/capacity';
import { type JobCommand } from '../domain/job-commands';
import { type JobState, type QuoteTerms } from '../domain/job-state';
import { type KubeJobSnapshot } from '../domain/kube-observation';
import { type ClusterJob, type LiveJob } from '../domain/reconcile';

// What the use cases need from the world, named for what it is to them. Adapters in src/infra
// implement these (SQL, Kubernetes, gRPC); specs use the in-memory fakes in *.fixtures.ts.
// Time and ids come from Clock and IdSource (@starminer/service-kit).

/** The lines the use cases log (structured, with ids). */
export type Logger = Pick<JsonLogger, 'info' | 'warn'>;

// ---- The Job aggregate -------------------------------------------------------------------

export interface LoadedJob {
  state: JobState;
  /** 0: the job does not exist. */
  version: number;
}

export interface Executed extends LoadedJob {
  /** The events the command appended (none when it changed nothing). */
  events: JobEvent[];
}

/** Builds a command from the job as loaded inside the write that will append its events. */
export type CommandOn = (state: JobState, version: number) => JobCommand;

/**
 * The Job aggregate's event stream and the event sink of its events. `execute` loads the job,
 * decides the command (domain), appends the events at the loaded version (the outbox with them)
 * and, in the same transaction, updates the jobs read model and the job's GPU reservation.
 * A store over the pool runs each execute in a transaction of its own, rerun from a fresh load on
 * a version conflict; a store bound to a transaction writes in it. A command the domain refuses
 * throws its IllegalTransitionError / CommandRejectedError and writes nothing.
 */
export interface JobStore {
  load(jobId: string): Promise<LoadedJob>;
  /** `cause`: the consumed event the new events answer (their causation and correlation). */
  execute(jobId: string, command: CommandOn, cause?: EventEnvelope): Promise<Executed>;
}

// ---- The jobs read model (one row per job, written with its events) ----------------------

/** A job waiting for a placement (Queued, or Overflowed and still waiting in its region). */
export interface WaitingJob {
  jobId: string;
  clientId: string;
  urgency: number;
  queuedAt: Date;
}

/** The jobs read model as the match loop reads it. */
export interface MatchQueueJobs {
  /** Quoted jobs whose quote expired at or before `now`. */
  quoteExpiredBy(now: Date): Promise<string[]>;
  /** Queued jobs whose placement deadline passed at or before `now`. */
  queuedPastDeadline(now: Date): Promise<Array<{ jobId: string; queuedAt: Date }>>;
  waiting(): Promise<WaitingJob[]>;
  /** Matched jobs (their Kubernetes Job not yet created). */
  matched(): Promise<string[]>;
  /** GPUs held from a match until the job is requeued or ends. */
  reservations(): Promise<Reservation[]>;
}

/** The jobs read model as the Kubernetes tracker and reconciler read it. */
export interface TrackedJobs {
  /** Jobs on a cluster (Dispatched or Running), with the region they were placed in. */
  onCluster(): Promise<Array<{ jobId: string; region: string }>>;
  /** Jobs on the cluster of one region. */
  onClusterIn(region: string): Promise<LiveJob[]>;
  /** When each of these jobs last changed (epoch ms); jobs this deployment never had are absent. */
  lastChanged(jobIds: readonly string[]): Promise<Map<string, number>>;
}

/** The jobs read model as GetJob and ListJobs read it. */
export interface JobListing {
  /** When the job was submitted and last changed; undefined if it does not exist. */
  timestamps(jobId: string): Promise<{ submittedAt: Date; updatedAt: Date } | undefined>;
  /**
   * Up to `limit` job ids, newest first (ids are UUIDv7): of `clientId` ('' = every client),
   * below `before` ('' = from the newest).
   */
  page(clientId: string, before: string, limit: number): Promise<string[]>;
}

// ---- The capacity read model (registry's nodes and providers, pricing's prices) ------------

/** A GPU node as the registry announced it. */
export interface RegisteredNode {
  region: string;
  node: string;
  provider: string;
  pool: string;
  product: string;
  memoryMiB: number;
  gpus: number;
  quarantined: boolean;
}

/** A tier price pricing published, token base units per GPU-second. */
export interface TierPrice {
  product: string;
  region: string;
  urgency: number;
  price: bigint;
}

/** The capacity read model as matching and rerouting read it. */
export interface MarketReads {
  nodes(): Promise<RegisteredNode[]>;
  /** Providers the registry activated (lower case). */
  activeProviders(): Promise<string[]>;
  prices(): Promise<TierPrice[]>;
  /** Prices of every product's tier of one region and urgency. */
  pricesIn(region: string, urgency: number): Promise<TierPrice[]>;
}

/** The capacity read model as the consumer writes it from node, provider and price events. */
export interface MarketWrites {
  /** A node joined (or joined again): its announced capacity, not quarantined. */
  putNode(node: Omit<RegisteredNode, 'quarantined'>): Promise<void>;
  changeNodeCapacity(
    region: string,
    node: string,
    capacity: { product: string; memoryMiB: number; gpus: number; pool: string },
  ): Promise<void>;
  setNodeQuarantined(region: string, node: string, quarantined: boolean): Promise<void>;
  removeNode(region: string, node: string): Promise<void>;
  setProviderActive(provider: string, active: boolean): Promise<void>;
  setPrice(price: TierPrice): Promise<void>;
}

// ---- Transactions of the use cases -------------------------------------------------------

/** Submit's idempotency keys: a (client, key) pair names the job first submitted with it. */
export interface SubmissionKeys {
  jobOf(clientId: string, idempotencyKey: string): Promise<string | undefined>;
  /** Claims the pair for `jobId`; false, changing nothing, when another submit holds it. */
  claim(clientId: string, idempotencyKey: string, jobId: string): Promise<boolean>;
}

/** What a submit writes in one transaction: the key's claim and the new job's first events. */
export interface SubmitTransaction {
  keys: SubmissionKeys;
  jobs: JobStore;
}

/** Submissions: the keys read outside any transaction, and the unit of work that claims one. */
export interface Submissions {
  keys: SubmissionKeys;
  transact<T>(work: (tx: SubmitTransaction) => Promise<T>): Promise<T>;
}

/**
 * What applying one consumed event may touch, bound to the consumer's transaction (with its
 * inbox row and the outbox rows of the job events it appends, so the event applies once).
 * On this store a command the domain refuses also leaves the transaction usable.
 */
export interface ConsumedEventStore {
  jobs: JobStore;
  market: MarketWrites;
  /** Whether this deployment has the job. */
  hasJob(jobId: string): Promise<boolean>;
  /** Jobs whose JobFunded was caused by one of these events, with the event that caused it. */
  fundedBy(eventIds: readonly string[]): Promise<Array<{ jobId: string; eventId: string }>>;
}

/** Matching runs on one replica at a time: two matches never see the same free GPUs. */
export interface MatchLock {
  /** Runs `work` holding the lock; returns false, without running it, if another holds it. */
  runExclusive(work: () => Promise<void>): Promise<boolean>;
}

// ---- Regional Kubernetes clusters --------------------------------------------------------

/** One node as its API server reports it. */
export interface ClusterNode {
  name: string;
  ready: boolean;
  allocatableGpus: number;
}

export type CreateJobOutcome =
  /** Created, or it already existed (same deterministic name: a repeat). */
  | { kind: 'created' }
  /** The API server refused it (a 4xx other than 409): it will not be accepted as it is. */
  | { kind: 'refused'; code: number; err: unknown }
  /** No answer (unreachable, timed out, 5xx): it may be tried again. */
  | { kind: 'unavailable'; err: unknown };

/**
 * One region's Kubernetes API server: what its informers show (the cluster's truth only while
 * `synced()`), and the writes of the matchmaker's Jobs in its namespace.
 */
export interface Cluster {
  readonly region: string;
  /** The namespace the matchmaker's Jobs are created in. */
  readonly namespace: string;
  synced(): boolean;
  nodes(): ClusterNode[];
  /** GPUs requested by live pods that are not the matchmaker's, per node. */
  gpusUsedByOthers(): ReadonlyMap<string, number>;
  /** The matchmaker's Kubernetes Jobs. */
  jobs(): ClusterJob[];
  /**
   * The Kubernetes Job `name` and its newest pod, reduced for the domain; undefined when there is
   * no such Job. `placedNode`: the node the attempt was matched to.
   */
  snapshot(name: string, placedNode?: string): KubeJobSnapshot | undefined;
  createJob(manifest: Record<string, unknown>): Promise<CreateJobOutcome>;
  /** Deletes a Job (its pods by `propagation`); one already gone is no error, others reject. */
  deleteJob(name: string, propagation: 'Foreground' | 'Background'): Promise<void>;
}

/** The regions' clusters by region name. */
export type Clusters = ReadonlyMap<string, Cluster>;

// ---- Other services ----------------------------------------------------------------------

/** Pricing seen from the matchmaker: who signs the quote is swappable. */
export interface QuoteRequest {
  jobId: string;
  clientAddress: string;
  spec: commonV1.JobSpec;
}

export interface PricingPort {
  /** Throws InvalidRequestError when the job cannot be priced; anything else is unavailability. */
  quote(req: QuoteRequest): Promise<QuoteTerms>;
}

/** Reputation of providers in [0, 1]; absent: not scored yet (matching's neutral default). */
export interface ReputationPort {
  scores(): Promise<ReadonlyMap<string, number>>;
}
