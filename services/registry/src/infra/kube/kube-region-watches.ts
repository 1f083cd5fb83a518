import type * as k8s from '@kubernetes/client-node';
import { type JsonLogger } from '@starminer/service-kit';
import {
  type NodeMark,
  type RegionNodeWatch,
  type RegionWatches,
  type RegionWatchEvents,
  type WatchedNode,
} from '../../app/ports';
import { type RegionClient } from './kube-client';
import { hasMark, markNode } from './node-marker';
import { observeNode } from './node-observation';
import { RegionWatcher } from './region-watcher';

/** A node of the watch cache, as read now: its observation, and the mark written onto it. */
function watchedNode(client: RegionClient, watcher: RegionWatcher, node: k8s.V1Node): WatchedNode {
  const name = node.metadata?.name ?? '';
  return {
    observation: observeNode(client.region, node, watcher.allocatedGpus(name)),
    carries: (mark: NodeMark) => hasMark(node, mark),
    mark: (mark: NodeMark) => markNode(client, node, mark),
  };
}

/** One region's RegionWatcher as the node controller sees it. */
class KubeRegionNodes implements RegionNodeWatch {
  constructor(
    private readonly client: RegionClient,
    private readonly watcher: RegionWatcher,
  ) {}

  get region(): string {
    return this.client.region;
  }

  start(): void {
    this.watcher.start();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }

  synced(): boolean {
    return this.watcher.synced();
  }

  problem(): string | undefined {
    return this.watcher.problem();
  }

  node(name: string): WatchedNode | undefined {
    const node = this.watcher.node(name);
    return node && watchedNode(this.client, this.watcher, node);
  }

  nodeNames(): string[] {
    return this.watcher.nodeNames();
  }
}

/** The watches of the regions' API servers, one per kubeconfig. */
export class KubeRegionWatches implements RegionWatches {
  private readonly clients = new Map<string, RegionClient>();

  constructor(
    clients: RegionClient[],
    private readonly o: {
      nodeLabelSelector: string;
      /** This deployment's node label value: nodes labelled for another deployment are left alone. */
      deployment: string;
      logger: JsonLogger;
    },
  ) {
    for (const c of clients) this.clients.set(c.region, c);
  }

  get regions(): string[] {
    return [...this.clients.keys()];
  }

  open(region: string, events: RegionWatchEvents): RegionNodeWatch {
    const client = this.clients.get(region);
    if (!client) throw new Error(`no kubeconfig for region ${region}`);
    const watcher = new RegionWatcher({
      client,
      nodeLabelSelector: this.o.nodeLabelSelector,
      deployment: this.o.deployment,
      logger: this.o.logger,
      onNodeChanged: (name) => events.onNodeChanged(name),
      onListed: () => events.onListed(),
    });
    return new KubeRegionNodes(client, watcher);
  }
}
