import * as k8s from '@kubernetes/client-node';
import { type JsonLogger } from '@starminer/service-kit';
import { LABELS, MANAGED_BY } from '../../domain/dispatch-spec';

const MANAGED = `${LABELS.managedBy}=${MANAGED_BY}`;

/** One node as its API server reports it. */
export interface ClusterNode {
  name: string;
  ready: boolean;
  allocatableGpus: number;
}

type Listener = () => void;

/**
 * One region's API server: clients, and informers (list + watch, with periodic resync) over
 * GPU nodes, the matchmaker's Jobs and their pods. An informer that errors (API server gone,
 * watch expired) is restarted with backoff, which lists again, so state after a restart is the
 * API server's truth. Until every informer has listed once, the region counts as not synced
 * and matching places nothing there.
 */
export class RegionCluster {
  readonly batch: k8s.BatchV1Api;
  readonly core: k8s.CoreV1Api;
  private readonly informers: Array<{
    name: string;
    inf: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
    synced: boolean;
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
  ) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
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
    const entry = { name, inf, synced: false };
    const changed = () => {
      entry.synced = true;
      if (this.synced()) this.lastError = undefined;
      for (const l of this.listeners) l();
    };
    inf.on('add', changed);
    inf.on('update', changed);
    inf.on('delete', changed);
    inf.on('connect', changed);
    inf.on('error', (err: unknown) => {
      if (this.stopped) return;
      entry.synced = false;
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
      await entry.inf.start();
      entry.synced = true;
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
        if ((err as { code?: number }).code !== 409)
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

  hasNode(name: string): boolean {
    return this.list<k8s.V1Node>('nodes').some((n) => n.metadata?.name === name);
  }

  jobs(): k8s.V1Job[] {
    return this.list<k8s.V1Job>('jobs');
  }

  podsOfJob(kubeJobName: string): k8s.V1Pod[] {
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
