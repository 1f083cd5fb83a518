import { type EventEnvelope, type NodeEvent, type StarminerEvent } from '@starminer/eventing';
import { type NodeIdentity, type SignatureCheck } from '@starminer/node-identity';
import { eventsV1 } from '@starminer/proto';
import { type NodeRecord } from '../domain/node';
import { type ProviderState } from '../domain/provider';
import {
  type Log,
  type NodeEventSink,
  type NodeInventory,
  type NodeQuery,
  type NodeSignatures,
  type OnChainStanding,
  type ProviderMirror,
  type RegistryWork,
  type StakeChain,
  type UnitOfWork,
} from './ports';

export interface AppendedEvent {
  aggregateId: string;
  aggregateVersion?: number;
  event: NodeEvent;
  cause?: EventEnvelope;
}

interface State {
  nodes: Map<string, NodeRecord>;
  providers: Map<string, ProviderState>;
  outbox: AppendedEvent[];
}

const nodeKey = (region: string, name: string) => `${region}/${name}`;

/**
 * The registry's tables and outbox in memory, with the semantics of Postgres: a unit of work sees
 * its own writes and commits them with its outbox appends, or none of them when it throws
 * (`failCommits` makes the next ones throw).
 */
export class InMemoryRegistry implements NodeInventory, UnitOfWork {
  private state: State = { nodes: new Map(), providers: new Map(), outbox: [] };
  private last: Promise<unknown> = Promise.resolve();
  failCommits = 0;

  get nodes(): ReadonlyMap<string, NodeRecord> {
    return this.state.nodes;
  }

  get providers(): ReadonlyMap<string, ProviderState> {
    return this.state.providers;
  }

  /** Everything appended to the outbox by committed units of work, in order. */
  get outbox(): readonly AppendedEvent[] {
    return this.state.outbox;
  }

  types(): string[] {
    return this.state.outbox.map((e) => e.event.type);
  }

  /** Units of work run one after the other (stricter than Postgres's row locks, never looser). */
  async transact<T>(work: (w: RegistryWork) => Promise<T>): Promise<T> {
    const run = this.last.then(async () => {
      const draft: State = structuredClone(this.state);
      const result = await work(workOn(draft));
      if (this.failCommits > 0) {
        this.failCommits--;
        throw new Error('connection terminated');
      }
      this.state = draft;
      return result;
    });
    this.last = run.catch(() => undefined);
    return run;
  }

  /** A record as a spec sets it up, committed outside any use case. */
  seedNode(n: NodeRecord): void {
    this.state.nodes.set(nodeKey(n.region, n.name), structuredClone(n));
  }

  seedProvider(p: ProviderState): void {
    this.state.providers.set(p.address, structuredClone(p));
  }

  async list(q: NodeQuery = {}): Promise<NodeRecord[]> {
    const rows = [...this.state.nodes.values()]
      .filter(
        (n) =>
          (!q.region || n.region === q.region) &&
          (!q.provider || n.provider === q.provider.toLowerCase()) &&
          (!q.pool || n.pool === q.pool) &&
          (!q.status || n.status === q.status) &&
          (!q.after ||
            n.region > q.after.region ||
            (n.region === q.after.region && n.name > q.after.name)),
      )
      .sort((a, b) => (a.region === b.region ? cmp(a.name, b.name) : cmp(a.region, b.region)));
    return structuredClone(q.limit ? rows.slice(0, Math.floor(q.limit)) : rows);
  }

  async names(region: string): Promise<string[]> {
    return [...this.state.nodes.values()].filter((n) => n.region === region).map((n) => n.name);
  }

  async namesOfProvider(provider: string): Promise<Array<{ region: string; name: string }>> {
    return [...this.state.nodes.values()]
      .filter((n) => n.provider === provider.toLowerCase())
      .map((n) => ({ region: n.region, name: n.name }));
  }

  /** The providers table read outside any unit of work. */
  readonly providerMirror: ProviderMirror = {
    get: async (address) => structuredClone(this.state.providers.get(address.toLowerCase())),
    list: async () => structuredClone([...this.state.providers.values()]),
    activeAddresses: async () =>
      new Set([...this.state.providers.values()].filter((p) => p.active).map((p) => p.address)),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function workOn(s: State): RegistryWork {
  const events: NodeEventSink = {
    async append(list) {
      s.outbox.push(...list);
    },
  };
  return {
    nodes: {
      getForUpdate: async (region, name) => structuredClone(s.nodes.get(nodeKey(region, name))),
      save: async (n) => void s.nodes.set(nodeKey(n.region, n.name), structuredClone(n)),
      delete: async (region, name) => void s.nodes.delete(nodeKey(region, name)),
    },
    providers: {
      getForUpdate: async (address) => structuredClone(s.providers.get(address.toLowerCase())),
      save: async (p) => void s.providers.set(p.address, structuredClone(p)),
    },
    events,
  };
}

/**
 * The contracts as read at the current block: what each provider holds, every read counted.
 * While `down`, reads fail as an unreachable RPC endpoint.
 */
export class FakeStakeChain implements StakeChain {
  readonly standings = new Map<string, OnChainStanding>();
  readonly reads: string[] = [];
  down = false;
  block = 100;
  minStake = 1_000n;

  /** A registered provider with `bonded` at stake. */
  set(address: string, bonded: bigint, registered = true): void {
    this.standings.set(address, { block: this.block, registered, bonded, minStake: this.minStake });
  }

  async read(address: string): Promise<OnChainStanding> {
    this.reads.push(address);
    await Promise.resolve();
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8545');
    return (
      this.standings.get(address) ?? {
        block: this.block,
        registered: false,
        bonded: 0n,
        minStake: this.minStake,
      }
    );
  }
}

/** The signature a provider makes over a node identity, in the fake's scheme. */
export const signatureOf = (id: NodeIdentity): string =>
  `signed:${id.provider}:${id.region}/${id.node}:${id.uid}`;

/** Signature checks in the scheme of `signatureOf`, every check counted. */
export class FakeSignatures implements NodeSignatures {
  checks = 0;

  verify(id: NodeIdentity, signature: string | undefined): SignatureCheck {
    this.checks++;
    if (!signature)
      return { ok: false, reason: 'MissingSignature', message: 'the node carries no signature' };
    return signature === signatureOf(id)
      ? { ok: true }
      : { ok: false, reason: 'BadSignature', message: `not signed by ${id.provider}` };
  }
}

export class RecordingLog implements Log {
  readonly lines: Array<{ level: 'info' | 'warn'; msg: string; fields: unknown }> = [];

  info(msg: unknown, fields?: unknown): void {
    this.lines.push({ level: 'info', msg: String(msg), fields });
  }

  warn(msg: unknown, fields?: unknown): void {
    this.lines.push({ level: 'warn', msg: String(msg), fields });
  }

  messages(level: 'info' | 'warn'): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.msg);
  }
}

type ChainEvent = Extract<StarminerEvent, { type: ChainEventType }>;
type ChainEventType =
  | 'ProviderRegistered'
  | 'ProviderDeregistered'
  | 'Staked'
  | 'UnbondingStarted'
  | 'Slashed'
  | 'ChainReorged'
  | 'EscrowFunded';
type Codec = { fromPartial(fields: object): object };

/** A chain event with every field its protobuf message defaults, and `fields` set. */
export function chainEvent<T extends ChainEventType>(
  type: T,
  fields: object = {},
): Extract<ChainEvent, { type: T }> {
  const codec = (eventsV1 as unknown as Record<string, Codec>)[type]!;
  return { ...codec.fromPartial(fields), type } as Extract<ChainEvent, { type: T }>;
}

/** The envelope the chain-indexer publishes an event in. */
export function chainEnvelope(
  event: StarminerEvent,
  eventId = 'chain-1',
): EventEnvelope<StarminerEvent> {
  return {
    eventId,
    type: event.type,
    deploymentId: '31337:0x00000000000000000000000000000000000000e5',
    producer: 'chain-indexer',
    schemaVersion: 1,
    aggregateId: '31337',
    aggregateVersion: 0,
    occurredAt: new Date('2026-01-01T00:00:00Z'),
    causationId: '',
    correlationId: `corr-${eventId}`,
    traceparent: '',
    tracestate: '',
    event,
  };
}

/** An admitted, ready H100 node record of us-east (8 GPUs, none allocated). */
export function nodeRecord(over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    region: 'us-east',
    name: 'n1',
    uid: 'uid-1',
    provider: '0x976ea74026e726554db657fa54763abd0c3a0aa9',
    pool: 'h100-a',
    gpuProduct: 'NVIDIA-H100-80GB-HBM3',
    gpuClass: 'H100-80GB',
    gpuMemoryMiB: 81559,
    capacityGpus: 8,
    allocatableGpus: 8,
    allocatedGpus: 0,
    ready: true,
    cordoned: false,
    lastHeartbeat: new Date('2026-01-01T00:00:00Z'),
    status: 'admitted',
    reason: '',
    message: '',
    verified: true,
    version: 1,
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  };
}

/** An active provider as the mirror holds it. */
export function providerState(address: string, over: Partial<ProviderState> = {}): ProviderState {
  return {
    address,
    registered: true,
    bonded: 5_000n,
    minStake: 1_000n,
    slashPending: false,
    slashBlock: 0,
    stakeBlock: 100,
    active: true,
    inactiveReason: '',
    checkedAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  };
}
