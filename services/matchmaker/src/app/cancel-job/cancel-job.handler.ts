import { type Clock } from '@starminer/service-kit';
import { ON_CLUSTER, type JobState } from '../../domain/job-state';
import { meteredGpuSeconds } from '../../domain/kube-observation';
import { JobNotFoundError, UnavailableError } from '../errors';
import { type Clusters, type JobStore } from '../ports';

/**
 * CancelJob: for a job on a cluster, delete its Kubernetes Job first (so no GPU keeps running
 * unpaid), meter the pod from its start to now, then append JobCancelled with that usage; the
 * settlement signer refunds the rest of the deposit. A region that cannot be reached refuses
 * the cancel (UNAVAILABLE) rather than charging for a pod it cannot stop.
 */
export class CancelJobHandler {
  constructor(
    private readonly jobs: JobStore,
    private readonly clusters: Clusters,
    private readonly clock: Clock,
  ) {}

  async execute(jobId: string, reason: string): Promise<JobState> {
    const { state, version } = await this.jobs.load(jobId);
    if (version === 0) throw new JobNotFoundError(jobId);
    let gpuSeconds = 0n;
    if (ON_CLUSTER.has(state.status) && state.placement && state.kubernetesJobName) {
      const cluster = this.clusters.get(state.placement.region);
      if (!cluster?.synced())
        throw new UnavailableError(`region ${state.placement.region} is unreachable; try again`);
      const snap = cluster.snapshot(state.kubernetesJobName);
      await cluster.deleteJob(state.kubernetesJobName, 'Foreground').catch((err: unknown) => {
        throw new UnavailableError(
          `could not delete the Kubernetes Job: ${(err as Error).message}`,
        );
      });
      const start = snap?.pod?.startedAt ?? state.startedAt;
      const end = snap?.pod?.finishedAt ? Date.parse(snap.pod.finishedAt) : this.clock.nowMs();
      gpuSeconds = meteredGpuSeconds(
        state.spec?.gpu?.count ?? 0,
        start ? Date.parse(start) : undefined,
        end,
      );
    }
    const r = await this.jobs.execute(jobId, () => ({
      type: 'Cancel',
      by: 'client',
      reason: reason || 'cancelled by the client',
      gpuSeconds,
    }));
    return r.state;
  }
}
