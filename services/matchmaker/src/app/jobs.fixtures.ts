import { type EventEnvelope, type JobEvent } from '@starminer/eventing';
import { type Clock } from '@starminer/service-kit';
import { type commonV1 } from '@starminer/proto';
import { type Reservation } from '../domain/capacity';
import { kubeJobName } from '../domain/dispatch-spec';
import { type JobCommand } from '../domain/job-commands';
import { decide } from '../domain/job-decide';
import { ENDED, evolve, initialJob, type JobState, type JobStatus } from '../domain/job-state';
import { type LiveJob } from '../domain/reconcile';
import { aSpec, fund, T0 } from '../domain/job.fixtures';
import { aQuote } from './app.fixtures';
import {
  type CommandOn,
  type Executed,
  type JobListing,
  type JobStore,
  type LoadedJob,
  type MatchQueueJobs,
  type TrackedJobs,
  type WaitingJob,
} from './ports';

export interface JobSetup {
  clientId?: string;
  region?: string;
  node?: string;
  gpus?: number;
  spec?: Partial<commonV1.JobSpec>;
}

const STEPS = ['Submitted', 'Quoted', 'Queued', 'Matched', 'Dispatched', 'Running'] as const;

/**
 * The commands that bring job `jobId` to `status`: submitted (2 H100 by default), quoted and
 * funded in us-east (deadline T0 + 20 min), matched to `<region>-h100-a-0`, dispatched as attempt
 * 1, started at T0.
 */
export function historyTo(
  status: (typeof STEPS)[number],
  jobId: string,
  o: JobSetup = {},
): JobCommand[] {
  const region = o.region ?? 'us-east';
  const node = o.node ?? `${region}-h100-a-0`;
  const all: JobCommand[] = [
    {
      type: 'SubmitJob',
      jobId,
      clientId: o.clientId ?? 'tenant-1',
      clientAddress: '0x00000000000000000000000000000000000000c1',
      spec: aSpec({ gpu: { product: 'H100-80GB', count: o.gpus ?? 2, minVramMib: 0 }, ...o.spec }),
    },
    { type: 'RecordQuote', quote: aQuote({ region }) },
    fund(),
    {
      type: 'Match',
      placement: { provider: '0xp', region, pool: 'h100-a', node },
      score: 0.8,
      weightsVersion: 1,
    },
    { type: 'RecordDispatch', namespace: 'starminer-jobs', name: kubeJobName(jobId, 1) },
    { type: 'RecordStart', attempt: 1, podName: 'pod-1', node, startedAt: T0 },
  ];
  return all.slice(0, STEPS.indexOf(status) + 1);
}

/** One event of a stream, with the consumed event that caused it. */
export interface StoredEvent {
  jobId: string;
  event: JobEvent;
  causationId?: string;
}

interface Job {
  state: JobState;
  events: StoredEvent[];
  urgency: number;
  submittedAt: Date;
  updatedAt: Date;
  queuedAt?: Date;
}

/**
 * The Job aggregate and its read models in memory, with the semantics of JobRepository and its
 * SQL: execute decides on the domain, appends, then updates the read model row (times from the
 * clock, as `now()` in the transaction) and the GPU reservation (held from JobMatched until the
 * job is requeued, unfunded or ends). Rows are replaced, never mutated, so a snapshot is a copy.
 */
export class InMemoryJobs implements JobStore, MatchQueueJobs, TrackedJobs, JobListing {
  private jobs = new Map<string, Job>();
  private held = new Map<string, Reservation>();
  /** Every event appended since the `given` history, in order: what the outbox would publish. */
  appended: StoredEvent[] = [];
  private readonly failures = new Map<string, Error>();

  constructor(private readonly clock: Clock) {}

  /** Given: the job went through these commands before (history, not counted as appended). */
  given(jobId: string, commands: JobCommand[]): JobState {
    const before = this.appended;
    for (const c of commands) this.write(jobId, () => c);
    this.appended = before;
    return this.state(jobId);
  }

  /** The next execute on `jobId` throws `err` and writes nothing (a write that fails). */
  failNextExecute(jobId: string, err: Error): void {
    this.failures.set(jobId, err);
  }

  state(jobId: string): JobState {
    return this.jobs.get(jobId)?.state ?? initialJob;
  }

  /** Types of the events appended (since `given`), optionally of one job. */
  appendedTypes(jobId?: string): string[] {
    return this.appended.filter((a) => !jobId || a.jobId === jobId).map((a) => a.event.type);
  }

  /** A restore point: calling the result puts every stream and row back (a rolled back transaction). */
  snapshot(): () => void {
    const [jobs, held, appended] = [new Map(this.jobs), new Map(this.held), [...this.appended]];
    return () => {
      [this.jobs, this.held, this.appended] = [jobs, held, appended];
    };
  }

  // ---- JobStore

  async load(jobId: string): Promise<LoadedJob> {
    const j = this.jobs.get(jobId);
    return { state: j?.state ?? initialJob, version: j?.events.length ?? 0 };
  }

  async execute(jobId: string, command: CommandOn, cause?: EventEnvelope): Promise<Executed> {
    const failure = this.failures.get(jobId);
    if (failure) {
      this.failures.delete(jobId);
      throw failure;
    }
    return this.write(jobId, command, cause);
  }

  private write(jobId: string, command: CommandOn, cause?: EventEnvelope): Executed {
    const j = this.jobs.get(jobId);
    const state = j?.state ?? initialJob;
    const version = j?.events.length ?? 0;
    const events = decide(state, command(state, version));
    if (events.length === 0) return { state, version, events };
    const next = events.reduce(evolve, state);
    const stored = events.map((event) => ({ jobId, event, causationId: cause?.eventId }));
    const now = this.clock.now();
    const queued = events.some((e) => e.type === 'JobQueued');
    this.jobs.set(jobId, {
      state: next,
      events: [...(j?.events ?? []), ...stored],
      urgency: j?.urgency ?? next.spec?.urgency ?? 2,
      submittedAt: j?.submittedAt ?? now,
      updatedAt: now,
      queuedAt: queued ? now : j?.queuedAt,
    });
    this.appended = [...this.appended, ...stored];
    if (events.some((e) => e.type === 'JobMatched') && next.placement) {
      const { region, node } = next.placement;
      this.held.set(jobId, { jobId, region, node, gpus: next.spec?.gpu?.count ?? 0 });
    }
    const reverted = events.some((e) => e.type === 'JobFundingReverted');
    if (queued || reverted || ENDED.has(next.status) || next.status === 'Settled')
      this.held.delete(jobId);
    return { state: next, version: version + events.length, events };
  }

  // ---- What the consumer's store reads of the jobs and their streams

  hasJob(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  fundedBy(eventIds: readonly string[]): Array<{ jobId: string; eventId: string }> {
    return [...this.jobs.values()]
      .flatMap((j) => j.events)
      .filter((e) => e.event.type === 'JobFunded' && eventIds.includes(e.causationId ?? ''))
      .map((e) => ({ jobId: e.jobId, eventId: e.causationId! }));
  }

  // ---- The read model

  private rows(...statuses: JobStatus[]): Array<[string, Job]> {
    return [...this.jobs].filter(([, j]) => statuses.includes(j.state.status));
  }

  async quoteExpiredBy(now: Date): Promise<string[]> {
    return this.rows('Quoted')
      .filter(([, j]) => Date.parse(j.state.quote!.expiresAt) <= now.getTime())
      .map(([id]) => id);
  }

  async queuedPastDeadline(now: Date): Promise<Array<{ jobId: string; queuedAt: Date }>> {
    return this.rows('Queued')
      .filter(([, j]) => Date.parse(j.state.placementDeadline!) <= now.getTime())
      .map(([jobId, j]) => ({ jobId, queuedAt: j.queuedAt! }));
  }

  async waiting(): Promise<WaitingJob[]> {
    return this.rows('Queued', 'Overflowed').map(([jobId, j]) => ({
      jobId,
      clientId: j.state.clientId,
      urgency: j.urgency,
      queuedAt: j.queuedAt!,
    }));
  }

  async matched(): Promise<string[]> {
    return this.rows('Matched').map(([id]) => id);
  }

  async reservations(): Promise<Reservation[]> {
    return [...this.held.values()];
  }

  async onCluster(): Promise<Array<{ jobId: string; region: string }>> {
    return this.rows('Dispatched', 'Running').map(([jobId, j]) => ({
      jobId,
      region: j.state.placement!.region,
    }));
  }

  async onClusterIn(region: string): Promise<LiveJob[]> {
    return this.rows('Dispatched', 'Running')
      .filter(([, j]) => j.state.placement?.region === region)
      .map(([jobId, j]) => ({
        jobId,
        kubeJobName: j.state.kubernetesJobName!,
        status: j.state.status as LiveJob['status'],
      }));
  }

  async lastChanged(jobIds: readonly string[]): Promise<Map<string, number>> {
    return new Map(
      [...this.jobs]
        .filter(([id]) => jobIds.includes(id))
        .map(([id, j]) => [id, j.updatedAt.getTime()]),
    );
  }

  async timestamps(jobId: string): Promise<{ submittedAt: Date; updatedAt: Date } | undefined> {
    const j = this.jobs.get(jobId);
    return j && { submittedAt: j.submittedAt, updatedAt: j.updatedAt };
  }

  async page(clientId: string, before: string, limit: number): Promise<string[]> {
    return [...this.jobs]
      .filter(([id, j]) => (!clientId || j.state.clientId === clientId) && (!before || id < before))
      .map(([id]) => id)
      .sort()
      .reverse()
      .slice(0, limit);
  }
}
