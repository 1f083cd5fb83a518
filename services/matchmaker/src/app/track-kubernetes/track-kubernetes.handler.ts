import { type Pool } from 'pg';
import { type JsonLogger } from '@starminer/service-kit';
import { LABELS } from '../../domain/dispatch-spec';
import { type JobCommand } from '../../domain/job-commands';
import { type JobState } from '../../domain/job-state';
import { meteredGpuSeconds, observe } from '../../domain/kube-observation';
import { planRepairs, type Repair } from '../../domain/reconcile';
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
    /** How long a job must have been off the cluster before its Kubernetes Job is an orphan. */
    private readonly orphanGraceMs = 30_000,
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
    const snap = snapshotOf(
      kubeJob,
      cluster.podsOfJob(name),
      (n) => cluster.hasNode(n),
      state.placement?.node,
    );
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
   * Orphans both ways (decided by `planRepairs`): a Kubernetes Job with a live pod whose job left
   * the cluster states more than `orphanGraceMs` ago is deleted; a Dispatched job whose Job is
   * missing is dispatched again under the same name; a Running one is treated as a lost node
   * (requeued once, else failed as a node fault and refunded). Regions not synced are skipped.
   */
  async reconcile(redispatch: (jobId: string) => Promise<void>): Promise<void> {
    for (const cluster of this.clusters.values()) {
      if (!cluster.synced()) continue;
      const live = await this.pool.query<{ job_id: string; k8s_name: string; status: string }>(
        `SELECT job_id, k8s_name, status FROM ${this.schema}.jobs WHERE region = $1 AND status IN ('Dispatched', 'Running')`,
        [cluster.region],
      );
      const clusterJobs = cluster.jobs().map((kj) => ({
        name: kj.metadata!.name!,
        jobId: kj.metadata?.labels?.[LABELS.jobId],
        activePods: kj.status?.active ?? 0,
      }));
      const named = [...new Set(clusterJobs.map((j) => j.jobId).filter((id) => !!id))];
      const changed = await this.pool.query<{ job_id: string; updated_at: Date }>(
        `SELECT job_id, updated_at FROM ${this.schema}.jobs WHERE job_id = ANY($1)`,
        [named],
      );
      const repairs = planRepairs({
        clusterJobs,
        live: live.rows.map((r) => ({
          jobId: r.job_id,
          kubeJobName: r.k8s_name,
          status: r.status as 'Dispatched' | 'Running',
        })),
        lastChangeMs: new Map(changed.rows.map((r) => [r.job_id, r.updated_at.getTime()])),
        nowMs: this.clock.now().getTime(),
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
    cluster: RegionCluster,
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
