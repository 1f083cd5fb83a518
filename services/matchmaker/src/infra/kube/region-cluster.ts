import * as k8s from '@kubernetes/client-node';
import { type JsonLogger } from '@starminer/service-kit';
import { LABELS, MANAGED_BY } from '../../domain/dispatch-spec';
import { type KubeJobSnapshot } from '../../domain/kube-observation';
import { type ClusterJob } from '../../domain/reconcile';
import { type Cluster, type ClusterNode, type CreateJobOutcome } from '../../app/ports';
import { boundedApi } from './bounded-api';
import { snapshotOf } from './snapshot';

const MANAGED = `${LABELS.managedBy}=${MANAGED_BY}`;

/** The HTTP status of a failed API call; undefined when the API server did not answer. */
const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;

type Listener = () => void;

/**
 * One region's API server: clients, and informers (list + watch) over GPU nodes, the
 * matchmaker's Jobs and their pods. An informer that errors (API server gone, watch refused) is
 * restarted after a pause; it resumes its watch from the last resource version, and lists again
 * when the API server answers that version is gone (410), so state after an outage is the API
 * server's truth. The region counts as synced only while every informer's last list or watch
 * succeeded: from the first error until the next successful start, matching places nothing
 * there and the tracker and reconciler leave its jobs alone.
 */
export class RegionCluster implements Cluster {
  private readonly batch: k8s.BatchV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly informers: Array<{
    name: string;
    inf: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
    synced: boolean;
    /** Errors seen so far: a start() that saw none in between has listed and is watching. */
    errors: number;
  }> = [];
  private stopped = false;
  private listeners: Listener[] = [];
  /** Set when an informer fails; cleared when all have listed again. */
  lastError?: string;

  constructor(
    readonly region: string,
    kubeconfigPath: string,
    readonly namespace: string,
    private readonly logger: JsonLogger,
    /** Every API call (lists included) settles within this; see boundedApi. */
    requestTimeoutMs = 30_000,
  ) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    this.batch = boundedApi(kc.makeApiClient(k8s.BatchV1Api), requestTimeoutMs, region);
    this.core = boundedApi(kc.makeApiClient(k8s.CoreV1Api), requestTimeoutMs, region);
    const ns = namespace;
    this.add(kc, 'nodes', '/api/v1/nodes', () => this.core.listNode());
    this.add(
      kc,
      'jobs',
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      () => this.batch.listNamespacedJob({ namespace: ns, labelSelector: MANAGED }),
      MANAGED,
    );
    // Every pod: ours for status, the others for the GPUs they hold on shared nodes.
    this.add(kc, 'pods', '/api/v1/pods', () => this.core.listPodForAllNamespaces());
  }

  private add(
    kc: k8s.KubeConfig,
    name: string,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
    labelSelector?: string,
  ): void {
    const inf = k8s.makeInformer(kc, path, list, labelSelector);
    const entry = { name, inf, synced: false, errors: 0 };
    // Events only notify: an event can come from a list that a later error interrupts, so
    // whether the cache is the API server's truth is decided by startOne alone.
    const changed = () => {
      for (const l of this.listeners) l();
    };
    inf.on('add', changed);
    inf.on('update', changed);
    inf.on('delete', changed);
    inf.on('error', (err: unknown) => {
      if (this.stopped) return;
      entry.synced = false;
      entry.errors++;
      this.lastError = err instanceof Error ? err.message : String(err);
      this.logger.warn('kubernetes watch failed; relisting', {
        region: this.region,
        informer: name,
        err: this.lastError,
      });
      if (!this.stopped) setTimeout(() => void this.startOne(entry), 1_000).unref();
    });
    this.informers.push(entry);
  }

  private async startOne(entry: (typeof this.informers)[number]): Promise<void> {
    if (this.stopped) return;
    try {
      // The informer reports a failed list or watch through its error event and then resolves
      // start() anyway: only a start with no error in between counts as synced (the error
      // handler has already scheduled the next attempt).
      const errorsBefore = entry.errors;
      await entry.inf.start();
      if (entry.errors !== errorsBefore) return;
      entry.synced = true;
      if (this.synced()) this.lastError = undefined;
      for (const l of this.listeners) l();
    } catch (err) {
      entry.synced = false;
      this.lastError = err instanceof Error ? err.message : String(err);
      setTimeout(() => void this.startOne(entry), 2_000).unref();
    }
  }

  async start(): Promise<void> {
    await this.core
      .createNamespace({ body: { metadata: { name: this.namespace } } })
      .catch((err: unknown) => {
        if (statusOf(err) !== 409)
          this.logger.warn('could not create the job namespace', { region: this.region, err });
      });
    await Promise.all(this.informers.map((e) => this.startOne(e)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((e) => e.inf.stop().catch(() => undefined)));
  }

  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  synced(): boolean {
    return this.informers.every((e) => e.synced);
  }

  private list<T>(name: string): T[] {
    return this.informers.find((e) => e.name === name)!.inf.list() as T[];
  }

  nodes(): ClusterNode[] {
    return this.list<k8s.V1Node>('nodes').map((n) => ({
      name: n.metadata!.name!,
      ready:
        !n.spec?.unschedulable &&
        (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      allocatableGpus: Number(n.status?.allocatable?.['nvidia.com/gpu'] ?? '0'),
    }));
  }

  private hasNode(name: string): boolean {
    return this.list<k8s.V1Node>('nodes').some((n) => n.metadata?.name === name);
  }

  jobs(): ClusterJob[] {
    return this.list<k8s.V1Job>('jobs').map((kj) => ({
      name: kj.metadata!.name!,
      jobId: kj.metadata?.labels?.[LABELS.jobId],
      activePods: kj.status?.active ?? 0,
    }));
  }

  snapshot(name: string, placedNode?: string): KubeJobSnapshot | undefined {
    const kubeJob = this.list<k8s.V1Job>('jobs').find((j) => j.metadata?.name === name);
    if (!kubeJob) return undefined;
    return snapshotOf(kubeJob, this.podsOfJob(name), (n) => this.hasNode(n), placedNode);
  }

  async createJob(manifest: Record<string, unknown>): Promise<CreateJobOutcome> {
    try {
      await this.batch.createNamespacedJob({ namespace: this.namespace, body: manifest });
      return { kind: 'created' };
    } catch (err) {
      const code = statusOf(err);
      if (code === 409) return { kind: 'created' };
      if (code !== undefined && code >= 400 && code < 500) return { kind: 'refused', code, err };
      return { kind: 'unavailable', err };
    }
  }

  async deleteJob(name: string, propagation: 'Foreground' | 'Background'): Promise<void> {
    await this.batch
      .deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: propagation })
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
  }

  private podsOfJob(kubeJobName: string): k8s.V1Pod[] {
    return this.list<k8s.V1Pod>('pods').filter(
      (p) =>
        p.metadata?.namespace === this.namespace &&
        p.metadata?.labels?.['job-name'] === kubeJobName,
    );
  }

  /** GPUs requested by live pods that are not the matchmaker's, per node. */
  gpusUsedByOthers(): Map<string, number> {
    const used = new Map<string, number>();
    for (const p of this.list<k8s.V1Pod>('pods')) {
      if (!p.spec?.nodeName || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
        continue;
      if (p.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY) continue;
      const gpus = (p.spec.containers ?? []).reduce(
        (sum, c) =>
          sum +
          Number(
            c.resources?.requests?.['nvidia.com/gpu'] ??
              c.resources?.limits?.['nvidia.com/gpu'] ??
              0,
          ),
        0,
      );
      if (gpus > 0) used.set(p.spec.nodeName, (used.get(p.spec.nodeName) ?? 0) + gpus);
    }
    return used;
  }
}
