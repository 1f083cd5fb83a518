import { LABELS } from '../domain/dispatch-spec';
import { type KubeJobSnapshot } from '../domain/kube-observation';
import { type ClusterJob } from '../domain/reconcile';
import { type Cluster, type ClusterNode, type CreateJobOutcome } from './ports';

/** A Kubernetes Job as the fake cluster's informer shows it. */
export interface FakeKubeJob {
  jobId?: string;
  activePods: number;
  snapshot: KubeJobSnapshot;
}

export const pending = (): KubeJobSnapshot => ({ complete: false, nodeGone: false });

export const running = (node: string, startedAt: string, name = 'pod-1'): KubeJobSnapshot => ({
  complete: false,
  nodeGone: false,
  pod: { name, node, phase: 'Running', disrupted: false, startedAt },
});

export const succeeded = (
  node: string,
  startedAt: string,
  finishedAt: string,
): KubeJobSnapshot => ({
  complete: true,
  nodeGone: false,
  pod: { name: 'pod-1', node, phase: 'Succeeded', disrupted: false, startedAt, finishedAt },
});

/**
 * One region's cluster in memory: what its informers show (settable), and the Jobs created and
 * deleted through it. A created Job shows up at once, pending, with one active pod.
 */
export class FakeCluster implements Cluster {
  isSynced = true;
  nodeList: ClusterNode[] = [];
  others = new Map<string, number>();
  readonly kubeJobs = new Map<string, FakeKubeJob>();
  readonly created: Array<Record<string, unknown>> = [];
  readonly deleted: Array<{ name: string; propagation: 'Foreground' | 'Background' }> = [];
  /** The outcome of the next createJob calls (created by default). */
  createOutcome: CreateJobOutcome = { kind: 'created' };
  /** Thrown by deleteJob (an API error other than "not found"). */
  deleteError?: Error;

  constructor(
    readonly region: string,
    readonly namespace = 'starminer-jobs',
  ) {}

  /** Given: Ready nodes with `gpus` allocatable GPUs each. */
  withNodes(gpus: number, ...names: string[]): this {
    for (const name of names) this.nodeList.push({ name, ready: true, allocatableGpus: gpus });
    return this;
  }

  synced(): boolean {
    return this.isSynced;
  }

  nodes(): ClusterNode[] {
    return this.nodeList;
  }

  gpusUsedByOthers(): ReadonlyMap<string, number> {
    return this.others;
  }

  jobs(): ClusterJob[] {
    return [...this.kubeJobs].map(([name, j]) => ({
      name,
      jobId: j.jobId,
      activePods: j.activePods,
    }));
  }

  snapshot(name: string, placedNode?: string): KubeJobSnapshot | undefined {
    const j = this.kubeJobs.get(name);
    return j && { ...j.snapshot, placedNode };
  }

  async createJob(manifest: Record<string, unknown>): Promise<CreateJobOutcome> {
    this.created.push(manifest);
    if (this.createOutcome.kind === 'created') {
      const meta = manifest.metadata as { name: string; labels: Record<string, string> };
      if (!this.kubeJobs.has(meta.name))
        this.kubeJobs.set(meta.name, {
          jobId: meta.labels[LABELS.jobId],
          activePods: 1,
          snapshot: pending(),
        });
    }
    return this.createOutcome;
  }

  async deleteJob(name: string, propagation: 'Foreground' | 'Background'): Promise<void> {
    if (this.deleteError) throw this.deleteError;
    this.deleted.push({ name, propagation });
    this.kubeJobs.delete(name);
  }

  /** The names of the Jobs created, in order. */
  createdNames(): string[] {
    return this.created.map((m) => (m.metadata as { name: string }).name);
  }
}

export function clustersOf(...clusters: FakeCluster[]): Map<string, FakeCluster> {
  return new Map(clusters.map((c) => [c.region, c]));
}
