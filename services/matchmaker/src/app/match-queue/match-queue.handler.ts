import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type Clock, type RegionsFile } from '@starminer/service-kit';
import { type NodeCapacity } from '../../domain/capacity';
import { kubeJobName, kubernetesJobManifest } from '../../domain/dispatch-spec';
import { matchJobs, type MatchRequest } from '../../domain/matching';
import { type MatchingWeights } from '../../domain/matching-weights';
import { orderQueue } from '../../domain/queue';
import { type JobState } from '../../domain/job-state';
import {
  type Clusters,
  type JobStore,
  type Logger,
  type MarketReads,
  type MatchLock,
  type MatchQueueJobs,
  type ReputationPort,
} from '../ports';
import { placementDeadline } from './urgency-deadlines';

export interface MatchQueueOptions {
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

export interface MatchQueuePorts {
  lock: MatchLock;
  jobs: JobStore;
  queue: MatchQueueJobs;
  market: MarketReads;
  clusters: Clusters;
  regions: Pick<RegionsFile, 'rttMs'>;
  reputation: ReputationPort;
  clock: Clock;
  logger: Logger;
}

/**
 * One lifecycle per job, like a bid engine per order: reserve (JobMatched + reservation row in
 * one transaction), commit (create the Kubernetes Job, JobDispatched), release (the reservation
 * goes when the job is requeued or ends). Runs under the match lock so that only one replica
 * matches at a time: two matches never see the same free GPUs.
 */
export class MatchQueueHandler {
  constructor(
    private readonly p: MatchQueuePorts,
    private readonly o: MatchQueueOptions,
  ) {}

  async tick(): Promise<void> {
    await this.p.lock.runExclusive(async () => {
      await this.expireQuotes();
      await this.overflow();
      await this.match();
      await this.dispatchMatched();
    });
  }

  private async expireQuotes(): Promise<void> {
    const now = this.p.clock.now();
    for (const id of await this.p.queue.quoteExpiredBy(now)) {
      await this.p.jobs
        .execute(id, () => ({ type: 'ExpireQuote', now: now.toISOString() }))
        .catch((err: unknown) => this.p.logger.warn('expiry failed', { jobId: id, err }));
    }
  }

  private async overflow(): Promise<void> {
    const now = this.p.clock.now();
    for (const r of await this.p.queue.queuedPastDeadline(now)) {
      await this.p.jobs
        .execute(r.jobId, () => ({
          type: 'Overflow',
          now: now.toISOString(),
          queuedAt: r.queuedAt.toISOString(),
        }))
        .catch((err: unknown) => this.p.logger.warn('overflow failed', { jobId: r.jobId, err }));
    }
  }

  /** Capacity read model (registry events) reconciled with each region's API server. */
  async capacity(): Promise<NodeCapacity[]> {
    const registered = await this.p.market.nodes();
    const truth = new Map<
      string,
      { nodes: Map<string, { ready: boolean; gpus: number }>; others: ReadonlyMap<string, number> }
    >();
    for (const [region, c] of this.p.clusters) {
      if (!c.synced()) continue; // unreachable or relisting: place nothing there
      truth.set(region, {
        nodes: new Map(c.nodes().map((n) => [n.name, { ready: n.ready, gpus: n.allocatableGpus }])),
        others: c.gpusUsedByOthers(),
      });
    }
    return registered.map((r) => {
      const t = truth.get(r.region);
      const k = t?.nodes.get(r.node);
      return {
        region: r.region,
        node: r.node,
        provider: r.provider,
        pool: r.pool,
        product: r.product,
        memoryMiB: r.memoryMiB,
        allocatable: Math.min(r.gpus, k?.gpus ?? 0),
        healthy: !r.quarantined && !!k?.ready,
        usedByOthers: t?.others.get(r.node) ?? 0,
      };
    });
  }

  private async match(): Promise<void> {
    // Overflowed jobs still wait in their region until spillover moves them.
    const queued = await this.p.queue.waiting();
    if (queued.length === 0) return;
    const order = orderQueue(
      queued.map((r) => ({
        jobId: r.jobId,
        clientId: r.clientId,
        urgency: r.urgency,
        queuedAtMs: r.queuedAt.getTime(),
      })),
      this.p.clock.nowMs(),
      { agingSecondsPerLevel: this.o.agingSecondsPerLevel },
    );
    const requests: MatchRequest[] = [];
    for (const q of order.slice(0, 500)) {
      const { state } = await this.p.jobs.load(q.jobId);
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
      this.p.queue.reservations(),
      this.p.market.activeProviders(),
      this.p.market.prices(),
      this.p.reputation.scores(),
    ]);
    // Keyed by GPU class: pricing names a tier by the class's canonical label, a node may
    // report another label of the same class.
    const tierKey = (product: string, region: string, urgency: number) =>
      `${resolveGpuClass(product)}/${region}/${urgency}`;
    const priceMap = new Map(prices.map((p) => [tierKey(p.product, p.region, p.urgency), p.price]));
    const outcome = matchJobs(
      requests,
      {
        nodes,
        reservations,
        activeProviders: new Set(providers),
        reputation,
        price: (product, region, urgency) => priceMap.get(tierKey(product, region, urgency)),
        rttMs: this.p.regions.rttMs,
      },
      this.o.weights,
    );
    for (const m of outcome.matches) {
      // The reservation row is written with JobMatched; a conflict reruns on fresh state.
      await this.p.jobs
        .execute(m.jobId, () => ({
          type: 'Match',
          placement: m.placement,
          score: m.score,
          weightsVersion: this.o.weights.version,
        }))
        .catch((err: unknown) => this.p.logger.warn('match not recorded', { jobId: m.jobId, err }));
    }
  }

  async dispatchMatched(): Promise<void> {
    for (const id of await this.p.queue.matched()) {
      const { state } = await this.p.jobs.load(id);
      if (state.status !== 'Matched' || !state.placement) continue;
      const cluster = this.p.clusters.get(state.placement.region);
      if (!cluster) continue;
      const outcome = await this.createKubeJob(state);
      if (outcome === 'retry') continue;
      if (outcome === 'refused') {
        await this.p.jobs.execute(id, () => ({
          type: 'DispatchFailed',
          reason: 'refused by the API server',
          placementDeadline: placementDeadline(this.p.clock.now(), state.spec!.urgency),
        }));
        continue;
      }
      const name = kubeJobName(state.jobId, state.attempt);
      await this.p.jobs.execute(id, () => ({
        type: 'RecordDispatch',
        namespace: cluster.namespace,
        name,
      }));
    }
  }

  /** Creates the attempt's Kubernetes Job; a repeat (409, same deterministic name) is a no-op. */
  async createKubeJob(state: JobState): Promise<'created' | 'refused' | 'retry'> {
    const cluster = this.p.clusters.get(state.placement!.region)!;
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
    const outcome = await cluster.createJob(manifest);
    switch (outcome.kind) {
      case 'created':
        return 'created';
      case 'refused':
        this.p.logger.warn('dispatch refused by the API server', {
          jobId: state.jobId,
          region: cluster.region,
          code: outcome.code,
          err: outcome.err,
        });
        return 'refused';
      case 'unavailable':
        // API server unreachable: keep the match and try again on the next tick.
        this.p.logger.warn('dispatch failed; will retry', {
          jobId: state.jobId,
          region: cluster.region,
          err: outcome.err,
        });
        return 'retry';
    }
  }

  async redispatch(jobId: string): Promise<void> {
    const { state } = await this.p.jobs.load(jobId);
    if (state.status === 'Dispatched' && this.p.clusters.get(state.placement!.region)?.synced())
      await this.createKubeJob(state);
  }
}
