import * as k8s from '@kubernetes/client-node';
import { type JsonLogger } from '@starminer/service-kit';
import { GPU_RESOURCE, NodeLabels } from '@starminer/node-identity';
import { type RegionClient } from './kube-client';

export interface RegionWatcherOptions {
  client: RegionClient;
  /** Only nodes matching it are watched (by default those that claim a provider). */
  nodeLabelSelector: string;
  /**
   * This deployment's node label value (`deploymentNodeLabel`). A node labelled for another
   * deployment is not this registry's: it is treated as absent (never admitted, rejected or
   * tainted), so deployments sharing a cluster leave each other's nodes alone.
   */
  deployment: string;
  /** A node changed, appeared or disappeared, or the GPUs its pods hold changed. */
  onNodeChanged: (name: string) => void;
  /** A (re)list of nodes and pods finished: every node should be reconciled. */
  onListed: () => void;
  logger: JsonLogger;
  restartDelayMs?: { initial: number; max: number };
}

/** nvidia.com/gpu a pod holds: the sum of its containers' limits (extended resources have no overcommit). */
export function podGpus(pod: k8s.V1Pod): number {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    const v = c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE];
    if (v !== undefined) total += Number(v) || 0;
  }
  return total;
}

function finished(pod: k8s.V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * List-and-watch of one region's GPU nodes and of the pods bound to nodes. Kept in memory like a
 * client-go informer; when the API server goes away the watch fails and is restarted with backoff
 * (a fresh list then reports what changed meanwhile, deletions included).
 */
export class RegionWatcher {
  private nodes: k8s.ListWatch<k8s.V1Node>;
  private pods: k8s.ListWatch<k8s.V1Pod>;
  /** node name -> pod key -> GPUs held */
  private readonly podsByNode = new Map<string, Map<string, number>>();
  private readonly nodeOfPod = new Map<string, string>();
  private listed = { nodes: false, pods: false };
  private lastError: string | undefined;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private delays = { nodes: 0, pods: 0 };

  constructor(private readonly o: RegionWatcherOptions) {
    this.nodes = this.makeNodes();
    this.pods = this.makePods();
  }

  // A fresh informer on every (re)start: its first step is a full list, which brings back what
  // changed while the API server was away (client-node's informer would resume the old watch).
  private makeNodes(): k8s.ListWatch<k8s.V1Node> {
    const { config, core } = this.o.client;
    const selector = this.o.nodeLabelSelector;
    const informer = new k8s.ListWatch<k8s.V1Node>(
      '/api/v1/nodes',
      new k8s.Watch(config),
      async () => {
        const list = await core.listNode({ labelSelector: selector });
        this.afterList('nodes');
        return list;
      },
      false,
      selector,
    );
    const changed = (n: k8s.V1Node) => n.metadata?.name && this.o.onNodeChanged(n.metadata.name);
    informer.on(k8s.ADD, changed);
    informer.on(k8s.UPDATE, changed);
    informer.on(k8s.DELETE, changed);
    informer.on(k8s.ERROR, (err) => this.restart('nodes', err));
    return informer;
  }

  private makePods(): k8s.ListWatch<k8s.V1Pod> {
    const { config, core } = this.o.client;
    const podSelector = 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed';
    const informer = new k8s.ListWatch<k8s.V1Pod>(
      '/api/v1/pods',
      new k8s.Watch(config),
      async () => {
        const list = await core.listPodForAllNamespaces({ fieldSelector: podSelector });
        // The list replaces what was known: pods deleted meanwhile must not stay counted.
        const before = new Set(this.podsByNode.keys());
        this.podsByNode.clear();
        this.nodeOfPod.clear();
        for (const node of before) this.o.onNodeChanged(node);
        this.afterList('pods');
        return list;
      },
      false,
      undefined,
      podSelector,
    );
    informer.on(k8s.ADD, (p) => this.trackPod(p));
    informer.on(k8s.UPDATE, (p) => this.trackPod(p));
    informer.on(k8s.DELETE, (p) => this.forgetPod(p));
    informer.on(k8s.ERROR, (err) => this.restart('pods', err));
    return informer;
  }

  get region(): string {
    return this.o.client.region;
  }

  start(): void {
    this.stopped = false;
    void this.nodes.start();
    void this.pods.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await this.nodes.stop();
    await this.pods.stop();
  }

  /** Both lists finished since the last failure: the cache reflects the API server. */
  synced(): boolean {
    return this.listed.nodes && this.listed.pods;
  }

  problem(): string | undefined {
    return this.synced() ? undefined : (this.lastError ?? 'initial list not finished');
  }

  node(name: string): k8s.V1Node | undefined {
    const node = this.nodes.get(name);
    return node && this.isOurs(node) ? node : undefined;
  }

  nodeNames(): string[] {
    return this.nodes
      .list()
      .flatMap((n) => (n.metadata?.name && this.isOurs(n) ? [n.metadata.name] : []));
  }

  /** Unlabelled nodes are whichever registry watches the cluster; labelled ones, their deployment's. */
  private isOurs(node: k8s.V1Node): boolean {
    const claimed = node.metadata?.labels?.[NodeLabels.deployment];
    return claimed === undefined || claimed === '' || claimed === this.o.deployment;
  }

  allocatedGpus(node: string): number {
    let total = 0;
    for (const g of this.podsByNode.get(node)?.values() ?? []) total += g;
    return total;
  }

  private afterList(which: 'nodes' | 'pods'): void {
    // The informer fills its cache synchronously right after this list resolves; report after it.
    setImmediate(() => {
      if (this.stopped) return;
      this.listed[which] = true;
      this.delays[which] = 0;
      if (this.synced()) this.o.onListed();
    });
  }

  private restart(which: 'nodes' | 'pods', err: unknown): void {
    if (this.stopped) return;
    this.listed[which] = false;
    this.lastError = `${which} watch failed: ${err instanceof Error ? err.message : String(err)}`;
    const { initial, max } = this.o.restartDelayMs ?? { initial: 500, max: 10_000 };
    const delay = Math.min(max, this.delays[which] ? this.delays[which] * 2 : initial);
    this.delays[which] = delay;
    this.o.logger.warn('kubernetes watch failed: restarting', {
      region: this.region,
      resource: which,
      delayMs: delay,
      error: this.lastError,
    });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      if (which === 'nodes') {
        void this.nodes.stop();
        this.nodes = this.makeNodes();
        void this.nodes.start();
      } else {
        void this.pods.stop();
        this.pods = this.makePods();
        void this.pods.start();
      }
    }, delay);
    this.timers.add(timer);
  }

  private trackPod(pod: k8s.V1Pod): void {
    if (finished(pod)) return this.forgetPod(pod);
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const node = pod.spec?.nodeName;
    if (!node) return this.forgetPod(pod);
    const previous = this.nodeOfPod.get(key);
    if (previous && previous !== node) this.forgetPod(pod);
    const gpus = podGpus(pod);
    const held = this.podsByNode.get(node) ?? new Map<string, number>();
    if (held.get(key) === gpus && previous === node) return;
    held.set(key, gpus);
    this.podsByNode.set(node, held);
    this.nodeOfPod.set(key, node);
    this.o.onNodeChanged(node);
  }

  private forgetPod(pod: k8s.V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const node = this.nodeOfPod.get(key);
    if (!node) return;
    this.nodeOfPod.delete(key);
    const held = this.podsByNode.get(node);
    held?.delete(key);
    if (held?.size === 0) this.podsByNode.delete(node);
    this.o.onNodeChanged(node);
  }
}
