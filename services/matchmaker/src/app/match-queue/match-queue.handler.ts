import { type Pool } from 'pg';
import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type JsonLogger, type RegionsFile } from '@starminer/service-kit';
import { type NodeCapacity } from '../../domain/capacity';
import { kubeJobName, kubernetesJobManifest } from '../../domain/dispatch-spec';
import { matchJobs, type MatchRequest } from '../../domain/matching';
import { type MatchingWeights } from '../../domain/matching-weights';
import { orderQueue } from '../../domain/queue';
import { type JobState } from '../../domain/job-state';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { type RegionCluster } from '../../infra/kube/region-cluster';
import { type Clock, type ReputationPort } from '../ports';
import { placementDeadline } from './urgency-deadlines';

export interface MatchQueueOptions {
  schema: string;
  weights: MatchingWeights;
  agingSecondsPerLevel: number;
  simulation: boolean;
  ttlSecondsAfterFinished: number;
  /**
   * false: a job is matched only in the region it waits in (its quoted region, or where spillover
   * rerouted it); moving it is spillover's decision. true: any region whose tier price is within
   * the quote.
   */
  matchAcrossRegions?: boolean;
}

/**
 * One lifecycle per job, like a bid engine per order: reserve (JobMatched + reservation row in
 * one transaction), commit (create the Kubernetes Job, JobDispatched), release (the reservation
 * goes when the job is requeued or ends). Runs under a Postgres advisory lock so that only one
 * replica matches at a time: two matches never see the same free GPUs.
 */
export class MatchQueueHandler {
  constructor(
    private readonly pool: Pool,
    private readonly jobs: JobRepository,
    private readonly clusters: ReadonlyMap<string, RegionCluster>,
    private readonly regions: RegionsFile,
    private readonly reputation: ReputationPort,
    private readonly clock: Clock,
    private readonly logger: JsonLogger,
    private readonly o: MatchQueueOptions,
  ) {}

  async tick(): Promise<void> {
    const lock = await this.pool.connect();
    try {
      const got = await lock.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS ok`,
        [`${this.o.schema}.match`],
      );
      if (!got.rows[0]!.ok) return;
      try {
        await this.expireQuotes();
        await this.overflow();
        await this.match();
        await this.dispatchMatched();
      } finally {
        await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${this.o.schema}.match`]);
      }
    } finally {
      lock.release();
    }
  }

  private async ids(where: string, params: unknown[] = []): Promise<string[]> {
    const r = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.o.schema}.jobs WHERE ${where}`,
      params,
    );
    return r.rows.map((x) => x.job_id);
  }

  private async expireQuotes(): Promise<void> {
    const now = this.clock.now();
    for (const id of await this.ids(`status = 'Quoted' AND quote_expires_at <= $1`, [now])) {
      await this.jobs
        .execute(id, () => ({ type: 'ExpireQuote', now: now.toISOString() }))
        .catch((err: unknown) => this.logger.warn('expiry failed', { jobId: id, err }));
    }
  }

  private async overflow(): Promise<void> {
    const now = this.clock.now();
    const rows = await this.pool.query<{ job_id: string; queued_at: Date }>(
      `SELECT job_id, queued_at FROM ${this.o.schema}.jobs WHERE status = 'Queued' AND placement_deadline <= $1`,
      [now],
    );
    for (const r of rows.rows) {
      await this.jobs
        .execute(r.job_id, () => ({
          type: 'Overflow',
          now: now.toISOString(),
          queuedAt: r.queued_at.toISOString(),
        }))
        .catch((err: unknown) => this.logger.warn('overflow failed', { jobId: r.job_id, err }));
    }
  }

  /** Capacity read model (registry events) reconciled with each region's API server. */
  async capacity(): Promise<NodeCapacity[]> {
    const rows = await this.pool.query<{
      region: string;
      node: string;
      provider: string;
      pool: string;
      product: string;
      memory_mib: number;
      gpus: number;
      quarantined: boolean;
    }>(`SELECT * FROM ${this.o.schema}.nodes`);
    const truth = new Map<
      string,
      { nodes: Map<string, { ready: boolean; gpus: number }>; others: Map<string, number> }
    >();
    for (const [region, c] of this.clusters) {
      if (!c.synced()) continue; // unreachable or relisting: place nothing there
      truth.set(region, {
        nodes: new Map(c.nodes().map((n) => [n.name, { ready: n.ready, gpus: n.allocatableGpus }])),
        others: c.gpusUsedByOthers(),
      });
    }
    return rows.rows.map((r) => {
      const t = truth.get(r.region);
      const k = t?.nodes.get(r.node);
      return {
        region: r.region,
        node: r.node,
        provider: r.provider,
        pool: r.pool,
        product: r.product,
        memoryMiB: r.memory_mib,
        allocatable: Math.min(r.gpus, k?.gpus ?? 0),
        healthy: !r.quarantined && !!k?.ready,
        usedByOthers: t?.others.get(r.node) ?? 0,
      };
    });
  }

  private async match(): Promise<void> {
    const queued = await this.pool.query<{
      job_id: string;
      client_id: string;
      urgency: number;
      queued_at: Date;
    }>(
      // Overflowed jobs still wait in their region until spillover moves them.
      `SELECT job_id, client_id, urgency, queued_at FROM ${this.o.schema}.jobs WHERE status IN ('Queued', 'Overflowed')`,
    );
    if (queued.rows.length === 0) return;
    const now = this.clock.now();
    const order = orderQueue(
      queued.rows.map((r) => ({
        jobId: r.job_id,
        clientId: r.client_id,
        urgency: r.urgency,
        queuedAtMs: r.queued_at.getTime(),
      })),
      now.getTime(),
      { agingSecondsPerLevel: this.o.agingSecondsPerLevel },
    );
    const requests: MatchRequest[] = [];
    for (const q of order.slice(0, 500)) {
      const { state } = await this.jobs.load(q.jobId);
      if (!['Queued', 'Overflowed'].includes(state.status) || !state.spec || !state.quote) continue;
      const spec = state.spec;
      const budget = BigInt(spec.gpu!.count) * BigInt(spec.maxDurationSeconds);
      requests.push({
        jobId: state.jobId,
        gpu: spec.gpu!,
        urgency: spec.urgency,
        latency: spec.latency,
        regionPreference: spec.regionPreference,
        quoteRegion: state.quote.region,
        quoteProduct: state.quote.gpuProduct,
        quotePricePerGpuSecond: state.quote.pricePerGpuSecond,
        reroutedTo: state.reroutedTo,
        onlyRegion:
          this.o.matchAcrossRegions === false ? state.reroutedTo || state.quote.region : undefined,
        maxPricePerGpuSecond: budget > 0n ? BigInt(spec.maxPrice!.baseUnits) / budget : 0n,
        excludedNodes: state.excludedNodes,
      });
    }
    const [nodes, reservations, providers, prices, reputation] = await Promise.all([
      this.capacity(),
      this.pool.query<{ job_id: string; region: string; node: string; gpus: number }>(
        `SELECT * FROM ${this.o.schema}.reservations`,
      ),
      this.pool.query<{ provider: string }>(
        `SELECT provider FROM ${this.o.schema}.providers WHERE active`,
      ),
      this.pool.query<{ product: string; region: string; urgency: number; price: string }>(
        `SELECT * FROM ${this.o.schema}.prices`,
      ),
      this.reputation.scores(),
    ]);
    // Keyed by GPU class: pricing names a tier by the class's canonical label, a node may
    // report another label of the same class.
    const tierKey = (product: string, region: string, urgency: number) =>
      `${resolveGpuClass(product)}/${region}/${urgency}`;
    const priceMap = new Map(
      prices.rows.map((p) => [tierKey(p.product, p.region, p.urgency), BigInt(p.price)]),
    );
    const outcome = matchJobs(
      requests,
      {
        nodes,
        reservations: reservations.rows.map((r) => ({
          jobId: r.job_id,
          region: r.region,
          node: r.node,
          gpus: r.gpus,
        })),
        activeProviders: new Set(providers.rows.map((p) => p.provider)),
        reputation,
        price: (product, region, urgency) => priceMap.get(tierKey(product, region, urgency)),
        rttMs: this.regions.rttMs,
      },
      this.o.weights,
    );
    for (const m of outcome.matches) {
      // The reservation row is written with JobMatched; a conflict reruns on fresh state.
      await this.jobs
        .execute(m.jobId, () => ({
          type: 'Match',
          placement: m.placement,
          score: m.score,
          weightsVersion: this.o.weights.version,
        }))
        .catch((err: unknown) => this.logger.warn('match not recorded', { jobId: m.jobId, err }));
    }
  }

  async dispatchMatched(): Promise<void> {
    for (const id of await this.ids(`status = 'Matched'`)) {
      const { state } = await this.jobs.load(id);
      if (state.status !== 'Matched' || !state.placement) continue;
      const cluster = this.clusters.get(state.placement.region);
      if (!cluster) continue;
      const outcome = await this.createKubeJob(state);
      if (outcome === 'retry') continue;
      if (outcome === 'refused') {
        await this.jobs.execute(id, () => ({
          type: 'DispatchFailed',
          reason: 'refused by the API server',
          placementDeadline: placementDeadline(this.clock.now(), state.spec!.urgency),
        }));
        continue;
      }
      const name = kubeJobName(state.jobId, state.attempt);
      await this.jobs.execute(id, () => ({
        type: 'RecordDispatch',
        namespace: cluster.namespace,
        name,
      }));
    }
  }

  /** Creates the attempt's Kubernetes Job; a repeat (409, same deterministic name) is a no-op. */
  async createKubeJob(state: JobState): Promise<'created' | 'refused' | 'retry'> {
    const cluster = this.clusters.get(state.placement!.region)!;
    const w = state.spec!.workload!;
    const manifest = kubernetesJobManifest({
      jobId: state.jobId,
      tenant: state.clientId,
      attempt: state.attempt,
      namespace: cluster.namespace,
      placement: state.placement!,
      gpus: state.spec!.gpu!.count,
      image: w.image,
      command: w.command,
      args: w.args,
      env: w.env,
      maxDurationSeconds: state.spec!.maxDurationSeconds,
      ttlSecondsAfterFinished: this.o.ttlSecondsAfterFinished,
      simulation: this.o.simulation ? state.simulation : undefined,
    });
    try {
      await cluster.batch.createNamespacedJob({ namespace: cluster.namespace, body: manifest });
      return 'created';
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 409) return 'created';
      if (code !== undefined && code >= 400 && code < 500) {
        this.logger.warn('dispatch refused by the API server', {
          jobId: state.jobId,
          region: cluster.region,
          code,
          err,
        });
        return 'refused';
      }
      // API server unreachable: keep the match and try again on the next tick.
      this.logger.warn('dispatch failed; will retry', {
        jobId: state.jobId,
        region: cluster.region,
        err,
      });
      return 'retry';
    }
  }

  async redispatch(jobId: string): Promise<void> {
    const { state } = await this.jobs.load(jobId);
    if (state.status === 'Dispatched' && this.clusters.get(state.placement!.region)?.synced())
      await this.createKubeJob(state);
  }
}
