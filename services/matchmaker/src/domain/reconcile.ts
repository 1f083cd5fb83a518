/**
 * The periodic reconciler's decisions for one region, as pure data: which Kubernetes Jobs are
 * orphans to delete, and which live jobs lost their Kubernetes Job. The caller gathers the
 * region's Jobs from a synced informer and the jobs from the read model.
 */

/** One Kubernetes Job carrying the matchmaker's labels. */
export interface ClusterJob {
  name: string;
  /** Its `starminer.io/job-id` label. */
  jobId?: string;
  /** Pods not yet finished (pending or running), as `status.active` reports. */
  activePods: number;
}

/** A job the matchmaker has on the cluster (Dispatched or Running) in this region. */
export interface LiveJob {
  jobId: string;
  kubeJobName: string;
  status: 'Dispatched' | 'Running';
}

export type Repair =
  /** A Kubernetes Job whose job is not on the cluster any more: it holds GPUs nobody pays for. */
  | { kind: 'deleteOrphan'; name: string; jobId: string }
  /** A Dispatched job whose Kubernetes Job is missing: create it again under the same name. */
  | { kind: 'redispatch'; jobId: string }
  /** A Running job whose Kubernetes Job vanished: its work is gone, as if its node were. */
  | { kind: 'lost'; jobId: string; kubeJobName: string };

export interface RepairInput {
  clusterJobs: readonly ClusterJob[];
  live: readonly LiveJob[];
  /**
   * When each job (of those the cluster's Jobs name) last changed state, epoch ms; a job id
   * this deployment never saw is absent.
   */
  lastChangeMs: ReadonlyMap<string, number>;
  nowMs: number;
  /** How long a job must have been off the cluster before its Kubernetes Job is an orphan. */
  graceMs: number;
}

export function planRepairs(input: RepairInput): Repair[] {
  const repairs: Repair[] = [];
  const wanted = new Set(input.live.map((j) => j.kubeJobName));
  for (const kj of input.clusterJobs) {
    if (wanted.has(kj.name) || !kj.jobId) continue;
    const changed = input.lastChangeMs.get(kj.jobId);
    // A job id this deployment never saw belongs to another deployment sharing the namespace.
    if (changed === undefined) continue;
    // A fresh end (seen on the pod before the Job controller marked the Job) is not raced.
    if (input.nowMs - changed < input.graceMs) continue;
    // A finished Job holds no GPU: its TTL removes it.
    if (kj.activePods === 0) continue;
    repairs.push({ kind: 'deleteOrphan', name: kj.name, jobId: kj.jobId });
  }
  const present = new Set(input.clusterJobs.map((j) => j.name));
  for (const j of input.live) {
    if (present.has(j.kubeJobName)) continue;
    repairs.push(
      j.status === 'Dispatched'
        ? { kind: 'redispatch', jobId: j.jobId }
        : { kind: 'lost', jobId: j.jobId, kubeJobName: j.kubeJobName },
    );
  }
  return repairs;
}
