import { type Pool } from 'pg';
import { type JsonLogger } from '@starminer/service-kit';
import { LABELS } from '../../domain/dispatch-spec';
import { type JobCommand } from '../../domain/job-commands';
import { type JobState } from '../../domain/job-state';
import { meteredGpuSeconds, observe } from '../../domain/kube-observation';
import { type RegionCluster } from '../../infra/kube/region-cluster';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { type Clock } from '../ports';
import { placementDeadline } from '../match-queue/urgency-deadlines';
import { snapshotOf } from './snapshot';

/**
 * Turns what the regions' informers show into job events: Started, Succeeded, Failed (workload
 * vs node fault), TimedOut, node lost (requeue once). Runs on every informer change and on a
 * timer, so a resync or a reconnect after an API-server outage converges to the cluster's truth.
 * A region that is not synced is skipped: nothing is torn down or charged while it is away.
 */
export class TrackKubernetesHandler {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly jobs: JobRepository,
    private readonly clusters: ReadonlyMap<string, RegionCluster>,
    private readonly clock: Clock,
    private readonly logger: JsonLogger,
  ) {}

  async track(): Promise<void> {
    const rows = await this.pool.query<{ job_id: string; region: string }>(
      `SELECT job_id, region FROM ${this.schema}.jobs WHERE status IN ('Dispatched', 'Running')`,
    );
    for (const r of rows.rows) {
      const cluster = this.clusters.get(r.region);
      if (!cluster?.synced()) continue;
      const { state } = await this.jobs.load(r.job_id);
      const command = this.commandFor(state, cluster);
      if (!command) continue;
      await this.jobs
        .execute(r.job_id, () => command)
        .catch((err: unknown) =>
          this.logger.warn('job status not recorded', { jobId: r.job_id, err }),
        );
      if (command.type === 'RecordNodeLost')
        await this.deleteKubeJob(cluster, state.kubernetesJobName!);
    }
  }

  private commandFor(state: JobState, cluster: RegionCluster): JobCommand | undefined {
    const name = state.kubernetesJobName;
    if (!name) return undefined;
    const kubeJob = cluster.jobs().find((j) => j.metadata?.name === name);
    if (!kubeJob) return undefined; // the reconciler repairs a missing Job
    const snap = snapshotOf(kubeJob, cluster.podsOfJob(name), (n) => cluster.hasNode(n));
    const o = observe(snap);
    const gpus = state.spec?.gpu?.count ?? 0;
    const metered = (start?: string, end?: string) =>
      meteredGpuSeconds(
        gpus,
        start ? Date.parse(start) : undefined,
        end ? Date.parse(end) : start ? this.clock.now().getTime() : undefined,
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

  async deleteKubeJob(cluster: RegionCluster, name: string): Promise<void> {
    await cluster.batch
      .deleteNamespacedJob({ name, namespace: cluster.namespace, propagationPolicy: 'Background' })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
  }

  /**
   * Orphans both ways. A Kubernetes Job whose job is not on the cluster any more (ended,
   * requeued, cancelled while the region was away) is deleted. A job Dispatched whose Job is
   * missing is dispatched again under the same name; a Running one is treated as a lost node.
   */
  async reconcile(redispatch: (jobId: string) => Promise<void>): Promise<void> {
    for (const cluster of this.clusters.values()) {
      if (!cluster.synced()) continue;
      const live = await this.pool.query<{ job_id: string; k8s_name: string; status: string }>(
        `SELECT job_id, k8s_name, status FROM ${this.schema}.jobs WHERE region = $1 AND status IN ('Dispatched', 'Running')`,
        [cluster.region],
      );
      const wanted = new Set(live.rows.map((r) => r.k8s_name));
      for (const kj of cluster.jobs()) {
        const name = kj.metadata!.name!;
        if (wanted.has(name)) continue;
        const jobId = kj.metadata?.labels?.[LABELS.jobId];
        // Only a Job whose job left the cluster states a while ago and that still has a live pod
        // is an orphan: a finished one is left to its TTL, and a fresh end (seen on the pod before
        // the Job controller marked the Job) is not raced.
        const stale = jobId
          ? await this.pool.query(
              `SELECT 1 FROM ${this.schema}.jobs WHERE job_id = $1 AND updated_at < now() - interval '30 seconds'`,
              [jobId],
            )
          : { rowCount: 0 };
        // A Job of a job id this deployment never saw belongs to another deployment: leave it.
        if (!stale.rowCount || (kj.status?.active ?? 0) === 0) continue;
        this.logger.info('deleting orphan Kubernetes Job', { region: cluster.region, name, jobId });
        await this.deleteKubeJob(cluster, name);
      }
      const present = new Set(cluster.jobs().map((j) => j.metadata!.name!));
      for (const r of live.rows) {
        if (present.has(r.k8s_name)) continue;
        if (r.status === 'Dispatched') await redispatch(r.job_id);
        else {
          const { state } = await this.jobs.load(r.job_id);
          await this.jobs.execute(r.job_id, () => ({
            type: 'RecordNodeLost',
            attempt: state.attempt,
            node: state.placement?.node ?? '',
            message: `Kubernetes Job ${r.k8s_name} disappeared while running`,
            gpuSeconds: 0n,
            placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
          }));
        }
      }
    }
  }
}
