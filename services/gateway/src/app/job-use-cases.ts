import { type matchmakerV1, type pricingV1 } from '@starminer/proto';
import { type Clock, type IdSource } from '@starminer/service-kit';
import { type Principal } from '../domain/api-key';
import { invalid, jobNotFound } from '../domain/errors';
import { JOB_STATES, type JobStateName, isFinal, progressOf } from '../domain/job-progress';
import { type NormalizedJob, normalizeJobRequest } from '../domain/job-request';
import { type RateLimits } from './authenticate';
import {
  URGENCY,
  idempotencyKeyOf,
  requireScope,
  simulationOf,
  stateName,
  toProtoSpec,
} from './job-fields';
import { type Downstream, type JobUpdate, type JobWatches, type SubmittedJobs } from './ports';

/** Balances in AGPU base units (decimal strings). */
export interface BalancesView {
  address: string;
  agpuBalance: string;
  escrowed: string;
  fundedJobs: number;
  withdrawable: string;
  refunded: string;
  /** Block the figures are current at. */
  asOfBlock: string;
}

export interface WatchMessage {
  eventType: string;
  state: JobStateName;
  progressPercent: number;
  occurredAt: string;
  final: boolean;
  job?: matchmakerV1.Job;
}

/**
 * The job use cases behind both the REST and the gRPC API. Every one takes the caller and
 * checks scope and ownership before anything reaches a downstream service.
 */
export class JobUseCases {
  constructor(
    private readonly downstream: Downstream,
    private readonly index: SubmittedJobs,
    private readonly watches: JobWatches,
    /** Regions of the deployment: a job naming another is refused here, before any token is spent. */
    private readonly regions: readonly string[],
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    /** Job ids of quotes, and the idempotency key of a submission that brings none. */
    private readonly ids: IdSource,
  ) {}

  private normalize(body: unknown): NormalizedJob[] {
    const r = normalizeJobRequest(body, this.regions);
    if (!r.ok) throw invalid(r.problems);
    return r.jobs;
  }

  async quote(p: Principal, body: unknown): Promise<pricingV1.QuoteResponse[]> {
    requireScope(p, 'jobs:write');
    const jobs = this.normalize(body);
    return Promise.all(
      jobs.map((j) =>
        this.downstream.quote({
          jobId: this.ids.next(),
          client: p.tenant,
          gpu: j.gpu,
          urgency: URGENCY[j.urgency],
          regionPreference: j.regionPreference,
          maxDurationSeconds: j.maxDurationSeconds,
        }),
      ),
    );
  }

  /**
   * Validates, then takes a submission token, then forwards: a refused request (bad input or
   * rate limit) creates nothing and a bad one costs no token.
   */
  async submit(p: Principal, body: unknown): Promise<matchmakerV1.Job[]> {
    requireScope(p, 'jobs:write');
    const jobs = this.normalize(body);
    const key = idempotencyKeyOf(body, this.ids);
    const simulation = simulationOf(body);
    await this.limits.take(p, 'submit');
    const created: matchmakerV1.Job[] = [];
    for (const [i, j] of jobs.entries()) {
      // Scoped by tenant so two tenants' keys never collide; by index for a template's parts.
      const idempotencyKey = `${p.tenant}:${key}:${i}`;
      const res = await this.downstream.submitJob({
        idempotencyKey,
        client: p.tenant,
        clientId: p.tenant,
        spec: toProtoSpec(j),
        quoteId: '',
        simulation,
      });
      const job = res.job!;
      await this.index.record(job.jobId, p.tenant, j.template?.name ?? '', idempotencyKey);
      created.push(job);
    }
    return created;
  }

  /** The job if the caller owns it; a job of another tenant is "not found", never "forbidden". */
  async get(p: Principal, jobId: string): Promise<{ job: matchmakerV1.Job; template: string }> {
    requireScope(p, 'jobs:read');
    const owned = await this.owned(p, jobId);
    const { job } = await this.downstream.getJob({ jobId });
    if (!job || job.clientId !== p.tenant) throw jobNotFound(jobId);
    return { job, template: owned.template };
  }

  async cancel(p: Principal, jobId: string, reason: string): Promise<matchmakerV1.Job> {
    requireScope(p, 'jobs:write');
    await this.owned(p, jobId);
    const { job } = await this.downstream.cancelJob({
      jobId,
      reason: reason || 'cancelled by the client',
    });
    return job!;
  }

  async list(
    p: Principal,
    q: {
      pageSize?: number;
      pageToken?: string;
      state?: string;
      template?: string;
      region?: string;
    },
  ): Promise<{ jobs: Array<matchmakerV1.Job & { template: string }>; nextPageToken: string }> {
    requireScope(p, 'jobs:read');
    const problems = [];
    const pageSize = q.pageSize ?? 50;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200)
      problems.push({
        field: 'pageSize',
        problem: `is not valid: ${String(q.pageSize)}`,
        accepted: 'an integer from 1 to 200',
      });
    if (q.state && !JOB_STATES.includes(q.state as JobStateName))
      problems.push({
        field: 'state',
        problem: `is not a job state: ${q.state}`,
        accepted: `one of ${JOB_STATES.join(', ')}`,
      });
    if (problems.length) throw invalid(problems);
    const out: Array<matchmakerV1.Job & { template: string }> = [];
    let token = q.pageToken ?? '';
    // Filters apply after the matchmaker's paging: read a few of its pages to fill one of ours.
    for (let pages = 0; pages < 10 && out.length < pageSize; pages++) {
      const res = await this.downstream.listJobs({
        clientId: p.tenant,
        pageSize,
        pageToken: token,
      });
      const templates = await this.index.templatesOf(res.jobs.map((j) => j.jobId));
      for (const j of res.jobs) {
        const template = templates.get(j.jobId) ?? '';
        if (q.state && stateName(j.state) !== q.state) continue;
        if (q.template && template !== q.template) continue;
        if (
          q.region &&
          j.placement?.region !== q.region &&
          !j.spec?.regionPreference.includes(q.region)
        )
          continue;
        if (out.length < pageSize) out.push({ ...j, template });
      }
      token = res.nextPageToken;
      if (!token) break;
    }
    return { jobs: out, nextPageToken: token };
  }

  /**
   * Opens a watch: ownership first, then subscribe before reading the snapshot so no event falls
   * between the two. The snapshot comes from the matchmaker when it answers.
   */
  async watch(p: Principal, jobId: string, send: (m: WatchMessage) => void): Promise<() => void> {
    requireScope(p, 'jobs:read');
    await this.limits.take(p, 'stream');
    await this.owned(p, jobId);
    let finished = false;
    const unsubscribe = this.watches.subscribe(jobId, (u: JobUpdate) => {
      if (finished) return;
      finished = isFinal(u.state);
      send({
        eventType: u.eventType,
        state: u.state,
        progressPercent: progressOf(u.state),
        occurredAt: u.occurredAt.toISOString(),
        final: finished,
      });
    });
    let snapshot: WatchMessage = {
      eventType: 'Snapshot',
      state: 'SUBMITTED',
      progressPercent: progressOf('SUBMITTED'),
      occurredAt: this.clock.now().toISOString(),
      final: false,
    };
    try {
      const { job } = await this.downstream.getJob({ jobId });
      if (job) {
        const state = stateName(job.state);
        snapshot = {
          ...snapshot,
          state,
          job,
          progressPercent: progressOf(state),
          final: isFinal(state),
        };
      }
    } catch {
      // Matchmaker unreachable: the stream still carries every event from now on.
    }
    send(snapshot);
    return unsubscribe;
  }

  private async owned(p: Principal, jobId: string): Promise<{ template: string }> {
    if (!/^[0-9a-f-]{36}$/i.test(jobId)) throw jobNotFound(jobId);
    const owned = await this.index.ownedBy(jobId, p.tenant);
    if (!owned) throw jobNotFound(jobId);
    return owned;
  }

  /**
   * The caller's money, from the chain-indexer (one answer, current at one block): AGPU held,
   * deposits in escrow, credits to withdraw, refunds.
   */
  async balances(p: Principal): Promise<BalancesView> {
    requireScope(p, 'balances:read');
    const b = await this.downstream.balances({ address: p.tenant });
    return {
      address: p.tenant,
      agpuBalance: b.agpuBalance?.baseUnits || '0',
      escrowed: b.escrowed?.baseUnits || '0',
      fundedJobs: b.escrowedJobs,
      withdrawable: b.withdrawable?.baseUnits || '0',
      refunded: b.refunded?.baseUnits || '0',
      asOfBlock: b.cursor?.blockNumber ?? '0',
    };
  }

  /** Current prices per tier, from pricing. */
  async priceBook(p: Principal, region: string): Promise<pricingV1.GetPriceBookResponse> {
    requireScope(p, 'prices:read');
    return this.downstream.priceBook({ region });
  }
}
