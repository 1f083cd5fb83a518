import { type EventEnvelope } from '@starminer/eventing';
import { type LatencyNeed, type NodeFree } from '../domain/routing-types';
import { type TierPrice } from '../domain/tier-prices';
import {
  type JobChange,
  type Log,
  type MatchmakerPort,
  type NewJob,
  type NodeRow,
  type ProposalPublisher,
  type Reachability,
  type RoutingProjection,
  type RoutingReadModel,
  type WaitingJobView,
} from './ports';
import { type ConsumedEvent } from './project-events/project-events.handler';

interface JobRow {
  jobId: string;
  status: string;
  version: number;
  region: string;
  quoteRegion: string;
  product: string;
  quotePrice: bigint;
  gpus: number;
  minVramMiB: number;
  urgency: number;
  latency: LatencyNeed;
  waitingSince: Date | null;
  hold: { region: string; node: string; gpus: number };
  routingNote: string;
}

/**
 * Spillover's read model in memory, with the semantics of its Postgres tables: a job is inserted
 * once, changes apply to known jobs only and move the version forward, a node keeps its
 * quarantine across upserts, a node's free GPUs are its GPUs minus what jobs hold on it.
 */
export class InMemoryRoutingModel implements RoutingProjection, RoutingReadModel {
  readonly jobs = new Map<string, JobRow>();
  readonly nodes = new Map<string, NodeRow & { quarantined: boolean }>();
  readonly tierPrices = new Map<string, TierPrice>();

  async insertJob(j: NewJob, version: number): Promise<void> {
    if (this.jobs.has(j.jobId)) return;
    this.jobs.set(j.jobId, {
      ...j,
      status: 'Submitted',
      version,
      region: '',
      quoteRegion: '',
      product: '',
      quotePrice: 0n,
      waitingSince: null,
      hold: { region: '', node: '', gpus: 0 },
      routingNote: '',
    });
  }

  async changeJob(jobId: string, version: number, c: JobChange): Promise<void> {
    const row = this.jobs.get(jobId);
    if (!row) return;
    row.version = Math.max(row.version, version);
    if (c.status !== undefined) row.status = c.status;
    if (c.region !== undefined) row.region = c.region;
    if (c.quoteRegion !== undefined) row.quoteRegion = c.quoteRegion;
    if (c.product !== undefined) row.product = c.product;
    if (c.quotePrice !== undefined) row.quotePrice = c.quotePrice;
    if (c.waitingSince !== undefined) row.waitingSince = c.waitingSince;
    if (c.routingNote !== undefined) row.routingNote = c.routingNote;
    if (c.hold === null) row.hold = { ...row.hold, gpus: 0 };
    else if (c.hold) row.hold = { ...c.hold };
  }

  async upsertNode(n: NodeRow): Promise<void> {
    const key = `${n.region}/${n.node}`;
    this.nodes.set(key, { ...n, quarantined: this.nodes.get(key)?.quarantined ?? false });
  }

  async setQuarantined(region: string, node: string, quarantined: boolean): Promise<void> {
    const row = this.nodes.get(`${region}/${node}`);
    if (row) row.quarantined = quarantined;
  }

  async deleteNode(region: string, node: string): Promise<void> {
    this.nodes.delete(`${region}/${node}`);
  }

  async setPrice(product: string, region: string, urgency: number, price: bigint): Promise<void> {
    this.tierPrices.set(`${product}|${region}|${urgency}`, { product, region, urgency, price });
  }

  async waitingJobs(): Promise<WaitingJobView[]> {
    return [...this.jobs.values()]
      .filter((j) => (j.status === 'Queued' || j.status === 'Overflowed') && j.product !== '')
      .map((j) => ({
        jobId: j.jobId,
        version: j.version,
        status: j.status as 'Queued' | 'Overflowed',
        region: j.region,
        quoteRegion: j.quoteRegion,
        product: j.product,
        quotePrice: j.quotePrice,
        gpus: j.gpus,
        minVramMiB: j.minVramMiB,
        urgency: j.urgency,
        latency: j.latency,
        waitingSinceMs: (j.waitingSince ?? new Date(0)).getTime(),
        routingNote: j.routingNote,
      }));
  }

  async freeNodes(): Promise<NodeFree[]> {
    const held = (region: string, node: string) =>
      [...this.jobs.values()]
        .filter((j) => j.hold.gpus > 0 && j.hold.region === region && j.hold.node === node)
        .reduce((sum, j) => sum + j.hold.gpus, 0);
    return [...this.nodes.values()]
      .filter((n) => !n.quarantined)
      .map((n) => ({
        region: n.region,
        node: n.node,
        product: n.product,
        memoryMiB: n.memoryMiB,
        free: n.gpus - held(n.region, n.node),
      }));
  }

  async prices(): Promise<TierPrice[]> {
    return [...this.tierPrices.values()];
  }
}

/**
 * The matchmaker as spillover calls it: records every call; refuses the jobs in `refusing`
 * (a stale version), and cannot be reached while `down`.
 */
export class RecordingMatchmaker implements MatchmakerPort {
  readonly calls: string[] = [];
  readonly refusing = new Set<string>();
  down = false;

  async reroute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<{ outcome: 'applied' } | { outcome: 'refused'; message: string }> {
    this.calls.push(`reroute ${jobId} -> ${toRegion} @${expectedVersion} (${proposalId})`);
    if (this.down) throw new Error('matchmaker unavailable');
    return this.refusing.has(jobId)
      ? { outcome: 'refused', message: `job ${jobId} is past version ${expectedVersion}` }
      : { outcome: 'applied' };
  }

  async note(jobId: string, reason: string): Promise<void> {
    this.calls.push(`note ${jobId}: ${reason}`);
    if (this.down) throw new Error('matchmaker unavailable');
  }
}

export class RecordingProposals implements ProposalPublisher {
  readonly published: Array<Parameters<ProposalPublisher['proposed']>[0]> = [];

  async proposed(p: Parameters<ProposalPublisher['proposed']>[0]): Promise<void> {
    this.published.push(p);
  }
}

/** Regions whose API server answers, unless listed in `unreachable`. */
export class FakeReachability implements Reachability {
  readonly unreachable = new Set<string>();

  reachable(region: string): boolean {
    return !this.unreachable.has(region);
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

/** An envelope of a consumed event, as its catalogue producer publishes it. */
export function envelope(
  event: ConsumedEvent,
  o: { aggregateId: string; version: number; producer: string; occurredAt?: Date },
): EventEnvelope<ConsumedEvent> {
  return {
    eventId: `${o.aggregateId}-${o.version}-${event.type}`,
    type: event.type,
    deploymentId: '31337:0x00000000000000000000000000000000000000e5',
    producer: o.producer,
    schemaVersion: 1,
    aggregateId: o.aggregateId,
    aggregateVersion: o.version,
    occurredAt: o.occurredAt ?? new Date('2030-01-01T00:00:00Z'),
    causationId: '',
    correlationId: '',
    traceparent: '',
    tracestate: '',
    event,
  };
}
