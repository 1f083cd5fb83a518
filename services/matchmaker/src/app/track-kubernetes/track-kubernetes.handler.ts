import { type Clock } from '@starminer/service-kit';
import { type JobCommand } from '../../domain/job-commands';
import { type JobState } from '../../domain/job-state';
import { meteredGpuSeconds, observe } from '../../domain/kube-observation';
import { planRepairs, type Repair } from '../../domain/reconcile';
import {
  type Cluster,
  type Clusters,
  type JobStore,
  type Logger,
  type TrackedJobs,
} from '../ports';
import { placementDeadline } from '../match-queue/urgency-deadlines';

/**
 * Turns what the regions' informers show into job events: Started, Succeeded, Failed (workload
 * vs node fault), TimedOut, node lost (requeue once). Runs on every informer change and on a
 * timer, so a resync or a reconnect after an API-server outage converges to the cluster's truth.
 * A region that is not synced is skipped: nothing is torn down or charged while it is away.
 */
export class TrackKubernetesHandler {
  constructor(
    private readonly jobs: JobStore,
    private readonly tracked: TrackedJobs,
    private readonly clusters: Clusters,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** How long a job must have been off the cluster before its Kubernetes Job is an orphan. */
    private readonly orphanGraceMs = 30_000,
  ) {}

  async track(): Promise<void> {
    for (const r of await this.tracked.onCluster()) {
      const cluster = this.clusters.get(r.region);
      if (!cluster?.synced()) continue;
      const { state } = await this.jobs.load(r.jobId);
      const command = this.commandFor(state, cluster);
      if (!command) continue;
      await this.jobs
        .execute(r.jobId, () => command)
        .catch((err: unknown) =>
          this.logger.warn('job status not recorded', { jobId: r.jobId, err }),
        );
      if (command.type === 'RecordNodeLost')
        await this.deleteKubeJob(cluster, state.kubernetesJobName!);
    }
  }

  private commandFor(state: JobState, cluster: Cluster): JobCommand | undefined {
    const name = state.kubernetesJobName;
    if (!name) return undefined;
    const snap = cluster.snapshot(name, state.placement?.node);
    if (!snap) return undefined; // the reconciler repairs a missing Job
    const o = observe(snap);
    const gpus = state.spec?.gpu?.count ?? 0;
    const metered = (start?: string, end?: string) =>
      meteredGpuSeconds(
        gpus,
        start ? Date.parse(start) : undefined,
        end ? Date.parse(end) : start ? this.clock.nowMs() : undefined,
      );
    const attempt = state.attempt;
    switch (o.kind) {
      case 'pending':
        return undefined;
      case 'running':
        return state.status === 'Running'
          ? undefined
          : {
              type: 'RecordStart',
              attempt,
              podName: o.podName,
              node: o.node,
              startedAt: o.startedAt,
            };
      case 'succeeded':
        return {
          type: 'RecordSuccess',
          attempt,
          gpuSeconds: metered(o.startedAt ?? state.startedAt, o.finishedAt),
        };
      case 'timedOut':
        return {
          type: 'RecordTimeout',
          attempt,
          gpuSeconds: metered(o.startedAt ?? state.startedAt, o.finishedAt),
        };
      case 'failed':
        return {
          type: 'RecordFailure',
          attempt,
          blame: o.blame,
          reason: o.reason,
          message: o.message,
          exitCode: o.exitCode,
          gpuSeconds: metered(o.startedAt ?? state.startedAt, o.finishedAt),
        };
      case 'nodeLost':
        return {
          type: 'RecordNodeLost',
          attempt,
          node: o.node,
          message: o.message,
          gpuSeconds: metered(o.startedAt ?? state.startedAt, o.finishedAt),
          placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
        };
    }
  }

  async deleteKubeJob(cluster: Cluster, name: string): Promise<void> {
    await cluster.deleteJob(name, 'Background');
  }

  /**
   * Orphans both ways (decided by `planRepairs`): a Kubernetes Job with a live pod whose job left
   * the cluster states more than `orphanGraceMs` ago is deleted; a Dispatched job whose Job is
   * missing is dispatched again under the same name; a Running one is treated as a lost node
   * (requeued once, else failed as a node fault and refunded). Regions not synced are skipped.
   */
  async reconcile(redispatch: (jobId: string) => Promise<void>): Promise<void> {
    for (const cluster of this.clusters.values()) {
      if (!cluster.synced()) continue;
      const live = await this.tracked.onClusterIn(cluster.region);
      const clusterJobs = cluster.jobs();
      const named = [
        ...new Set(clusterJobs.map((j) => j.jobId).filter((id): id is string => !!id)),
      ];
      const repairs = planRepairs({
        clusterJobs,
        live,
        lastChangeMs: await this.tracked.lastChanged(named),
        nowMs: this.clock.nowMs(),
        graceMs: this.orphanGraceMs,
      });
      for (const r of repairs) {
        try {
          await this.repair(cluster, r, redispatch);
        } catch (err) {
          this.logger.warn('repair failed; next round retries', {
            region: cluster.region,
            ...r,
            err,
          });
        }
      }
    }
  }

  private async repair(
    cluster: Cluster,
    r: Repair,
    redispatch: (jobId: string) => Promise<void>,
  ): Promise<void> {
    switch (r.kind) {
      case 'deleteOrphan':
        this.logger.info('deleting orphan Kubernetes Job', { region: cluster.region, ...r });
        return this.deleteKubeJob(cluster, r.name);
      case 'redispatch':
        this.logger.info('Kubernetes Job missing; dispatching again', {
          region: cluster.region,
          ...r,
        });
        return redispatch(r.jobId);
      case 'lost': {
        this.logger.info('Kubernetes Job vanished under a running job', {
          region: cluster.region,
          ...r,
        });
        const { state } = await this.jobs.load(r.jobId);
        await this.jobs.execute(r.jobId, () => ({
          type: 'RecordNodeLost',
          attempt: state.attempt,
          node: state.placement?.node ?? '',
          message: `Kubernetes Job ${r.kubeJobName} disappeared while running`,
          gpuSeconds: 0n,
          placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
        }));
      }
    }
  }
}
