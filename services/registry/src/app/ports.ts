import { type EventEnvelope, type NodeEvent } from '@starminer/eventing';
import { type NodeIdentity, type SignatureCheck } from '@starminer/node-identity';
import { type JsonLogger } from '@starminer/service-kit';
import { type NodeObservation, type NodeRecord, type NodeStatus } from '../domain/node';
import { type ProviderState } from '../domain/provider';

/* ---------- Postgres: the node and provider tables, and the outbox ---------- */

export interface NodeQuery {
  region?: string;
  provider?: string;
  pool?: string;
  status?: NodeStatus;
  /** Rows after this (region, name), for paging. */
  after?: { region: string; name: string };
  limit?: number;
}

/** The node records as the queries and the controller read them (outside any transaction). */
export interface NodeInventory {
  /** Matching records in (region, name) order. */
  list(q?: NodeQuery): Promise<NodeRecord[]>;
  /** Names of the nodes recorded in a region. */
  names(region: string): Promise<string[]>;
  namesOfProvider(provider: string): Promise<Array<{ region: string; name: string }>>;
}

/** The provider mirror as the queries and the use cases read it (outside any transaction). */
export interface ProviderMirror {
  get(address: string): Promise<ProviderState | undefined>;
  list(): Promise<ProviderState[]>;
  activeAddresses(): Promise<Set<string>>;
}

/** Node records inside a transaction. */
export interface NodeStore {
  /** Reads one node, locked until the transaction ends so reconciles of a node serialise. */
  getForUpdate(region: string, name: string): Promise<NodeRecord | undefined>;
  save(n: NodeRecord): Promise<void>;
  delete(region: string, name: string): Promise<void>;
}

/** Provider records inside a transaction. */
export interface ProviderStore {
  /** Reads one provider, locked until the transaction ends. */
  getForUpdate(address: string): Promise<ProviderState | undefined>;
  save(p: ProviderState): Promise<void>;
}

/** The registry's outbox inside a transaction: the events commit exactly when its writes do. */
export interface NodeEventSink {
  append(
    events: Array<{
      aggregateId: string;
      /** Omitted for events outside a stream (provider activation). */
      aggregateVersion?: number;
      event: NodeEvent;
      /** The consumed event this one follows from: its causation, correlation and trace. */
      cause?: EventEnvelope;
    }>,
  ): Promise<void>;
}

/** What a use case may touch inside one transaction. */
export interface ProviderWork {
  providers: ProviderStore;
  events: NodeEventSink;
}

export interface RegistryWork extends ProviderWork {
  nodes: NodeStore;
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export interface UnitOfWork {
  transact<T>(work: (w: RegistryWork) => Promise<T>): Promise<T>;
}

/* ---------- The chain ---------- */

/** A provider's state read straight from the contracts at one block. */
export interface OnChainStanding {
  block: number;
  registered: boolean;
  bonded: bigint;
  minStake: bigint;
}

/** Read-only calls to ProviderRegistry and Staking, all at one block. */
export interface StakeChain {
  read(address: string): Promise<OnChainStanding>;
}

/** Checks a provider's signature over a node identity (ecrecover). */
export interface NodeSignatures {
  verify(identity: NodeIdentity, signature: string | undefined): SignatureCheck;
}

/* ---------- Kubernetes: each region's nodes ---------- */

/** The admission verdict as it is written onto a node. */
export interface NodeMark {
  status: NodeStatus;
  reason: string;
  /** Value of the not-admitted taint, or undefined to remove it. */
  taint: string | undefined;
}

/** One node as a region's watch cache holds it at the moment it was read. */
export interface WatchedNode {
  observation: NodeObservation;
  /** Whether the node already carries the mark: most reconciles need no write. */
  carries(mark: NodeMark): boolean;
  /**
   * Writes the mark onto the node as it was read (a concurrent change makes it fail instead of
   * being overwritten). False on such a conflict or when the node is gone.
   */
  mark(mark: NodeMark): Promise<boolean>;
}

/** A list-and-watch of one region's GPU nodes and of the GPUs their pods hold. */
export interface RegionNodeWatch {
  readonly region: string;
  start(): void;
  stop(): Promise<void>;
  /** The cache reflects the API server (absence of a node means it is gone only then). */
  synced(): boolean;
  /** Why the watch is not in sync, when it is not. */
  problem(): string | undefined;
  /** The node if it is in the cache and this deployment's. */
  node(name: string): WatchedNode | undefined;
  nodeNames(): string[];
}

export interface RegionWatchEvents {
  /** A node changed, appeared or disappeared, or the GPUs its pods hold changed. */
  onNodeChanged(name: string): void;
  /** A (re)list of nodes and pods finished: every node should be reconciled. */
  onListed(): void;
}

/** Opens the watch of each region the registry serves. */
export interface RegionWatches {
  readonly regions: readonly string[];
  open(region: string, events: RegionWatchEvents): RegionNodeWatch;
}

/* ---------- Logs ---------- */

/** The structured log the use cases write (the service's JsonLogger in production). */
export type Log = Pick<JsonLogger, 'info' | 'warn'>;
