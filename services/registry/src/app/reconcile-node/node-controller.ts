import { type NodeObservation } from '../../domain/node';
import { HEARTBEAT_PERSIST_MS } from '../../domain/node-lifecycle';
import { type Log, type NodeInventory, type RegionNodeWatch, type RegionWatches } from '../ports';
import { type ReconcileNodeHandler } from './reconcile-node.handler';

export interface NodeControllerOptions {
  /** The watch of each region's nodes (this deployment's only). */
  watches: RegionWatches;
  handler: ReconcileNodeHandler;
  nodes: NodeInventory;
  logger: Log;
  resyncIntervalMs: number;
  concurrency: number;
}

interface Region {
  watcher: RegionNodeWatch;
  dirty: Set<string>;
  running: Set<string>;
  /** What the node looked like at its last successful reconcile, heartbeat aside. */
  seen: Map<string, { fingerprint: string; heartbeat: number }>;
  workers: number;
}

function fingerprint(o: NodeObservation): { fingerprint: string; heartbeat: number } {
  const { lastHeartbeat, ...rest } = o;
  return { fingerprint: JSON.stringify(rest), heartbeat: lastHeartbeat?.getTime() ?? 0 };
}

/**
 * The node controller: one watcher and one work queue per region. A node is queued when its
 * object or its pods change, and every node (cache and table) on each (re)list and every
 * resync period, so a missed event or a registry restart converges to the API servers' truth.
 * A node is reconciled by one worker at a time; changes arriving meanwhile queue it again.
 */
export class NodeController {
  private readonly regions = new Map<string, Region>();
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Reconciles done, for metrics and tests. */
  readonly stats = { reconciled: 0, skipped: 0, failed: 0 };

  constructor(private readonly o: NodeControllerOptions) {
    for (const region of o.watches.regions) {
      const r: Region = {
        dirty: new Set(),
        running: new Set(),
        seen: new Map(),
        workers: 0,
        watcher: undefined as unknown as RegionNodeWatch,
      };
      r.watcher = o.watches.open(region, {
        onNodeChanged: (name) => this.enqueue(r, name),
        onListed: () => void this.resyncRegion(r),
      });
      this.regions.set(region, r);
    }
  }

  start(): void {
    for (const r of this.regions.values()) r.watcher.start();
    this.resyncTimer = setInterval(() => void this.resyncAll(), this.o.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const r of this.regions.values()) await r.watcher.stop();
  }

  /** Regions whose watch is not in sync with the API server, with the reason. */
  problems(): string[] {
    return [...this.regions.values()].flatMap((r) => {
      const p = r.watcher.problem();
      return p ? [`${r.watcher.region}: ${p}`] : [];
    });
  }

  /** Nodes waiting or being reconciled, all regions. */
  backlog(): number {
    let n = 0;
    for (const r of this.regions.values()) n += r.dirty.size + r.running.size;
    return n;
  }

  /** Queues nodes again (a provider's standing changed, say), bypassing the unchanged-node shortcut. */
  requeue(nodes: Array<{ region: string; name: string }>): void {
    for (const { region, name } of nodes) {
      const r = this.regions.get(region);
      if (!r) continue;
      r.seen.delete(name);
      this.enqueue(r, name);
    }
  }

  async resyncAll(): Promise<void> {
    for (const r of this.regions.values()) await this.resyncRegion(r);
  }

  private async resyncRegion(r: Region): Promise<void> {
    if (!r.watcher.synced()) return;
    try {
      const names = new Set([
        ...r.watcher.nodeNames(),
        ...(await this.o.nodes.names(r.watcher.region)),
      ]);
      r.seen.clear();
      for (const name of names) this.enqueue(r, name);
    } catch (err) {
      this.o.logger.warn('resync failed: retried at the next period', {
        region: r.watcher.region,
        err,
      });
    }
  }

  private enqueue(r: Region, name: string): void {
    r.dirty.add(name);
    this.pump(r);
  }

  private pump(r: Region): void {
    while (r.workers < this.o.concurrency) {
      const name = [...r.dirty].find((n) => !r.running.has(n));
      if (name === undefined) return;
      r.dirty.delete(name);
      r.running.add(name);
      r.workers++;
      void this.work(r, name).finally(() => {
        r.running.delete(name);
        r.workers--;
        this.pump(r);
      });
    }
  }

  private async work(r: Region, name: string): Promise<void> {
    const node = r.watcher.node(name);
    const now = node ? fingerprint(node.observation) : undefined;
    const last = r.seen.get(name);
    if (
      now &&
      last &&
      last.fingerprint === now.fingerprint &&
      now.heartbeat - last.heartbeat < HEARTBEAT_PERSIST_MS
    ) {
      this.stats.skipped++;
      return;
    }
    try {
      await this.o.handler.handle(r.watcher, name);
      if (now) r.seen.set(name, now);
      else r.seen.delete(name);
      this.stats.reconciled++;
    } catch (err) {
      this.stats.failed++;
      r.seen.delete(name);
      this.o.logger.warn('node reconcile failed: retrying', {
        region: r.watcher.region,
        node: name,
        err,
      });
      const t = setTimeout(() => this.enqueue(r, name), 1_000);
      t.unref();
    }
  }
}
