import { type NodeObservation } from '../domain/node';
import {
  type NodeMark,
  type RegionNodeWatch,
  type RegionWatches,
  type RegionWatchEvents,
  type WatchedNode,
} from './ports';

/**
 * One region's watch cache, filled by hand: `put` and `remove` change a node and tell the
 * controller as the informer would; marks written onto nodes are kept (and counted) per node.
 */
export class FakeRegionWatch implements RegionNodeWatch {
  readonly nodes = new Map<string, NodeObservation>();
  readonly marks = new Map<string, NodeMark>();
  markWrites = 0;
  isSynced = true;
  lastProblem: string | undefined;
  started = false;
  stopped = false;
  events: RegionWatchEvents = { onNodeChanged: () => undefined, onListed: () => undefined };

  constructor(readonly region: string) {}

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  synced(): boolean {
    return this.isSynced;
  }

  problem(): string | undefined {
    return this.isSynced ? undefined : (this.lastProblem ?? 'initial list not finished');
  }

  node(name: string): WatchedNode | undefined {
    const observation = this.nodes.get(name);
    if (!observation) return undefined;
    return {
      observation: structuredClone(observation),
      carries: (m) => JSON.stringify(this.marks.get(name)) === JSON.stringify(m),
      mark: async (m) => {
        this.markWrites++;
        this.marks.set(name, m);
        return true;
      },
    };
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  put(obs: NodeObservation): void {
    this.nodes.set(obs.name, obs);
    this.events.onNodeChanged(obs.name);
  }

  remove(name: string): void {
    this.nodes.delete(name);
    this.events.onNodeChanged(name);
  }
}

export class FakeRegionWatches implements RegionWatches {
  readonly watches = new Map<string, FakeRegionWatch>();

  constructor(readonly regions: string[]) {
    for (const r of regions) this.watches.set(r, new FakeRegionWatch(r));
  }

  open(region: string, events: RegionWatchEvents): RegionNodeWatch {
    const w = this.watches.get(region)!;
    w.events = events;
    return w;
  }

  of(region: string): FakeRegionWatch {
    return this.watches.get(region)!;
  }
}
