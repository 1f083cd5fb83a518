import { type GpuClass } from '@starminer/gpu-catalogue';
import { type SignalEvent } from './signal-events';
import { poolKey, tierKey, type PoolKey, type TierKey, type Urgency } from './tier';

interface NodeRecord {
  pool: PoolKey;
  gpus: number;
  vramMiB: number;
  /** False while quarantined: its GPUs do not count as supply. */
  active: boolean;
}

interface JobRecord {
  tier: TierKey;
  pool: PoolKey;
  gpus: number;
  state: 'queued' | 'running';
  queuedAt: number;
  matchedAt: number;
}

/** Counters per pool since the log began: fill rate, time to match and run time. */
export interface PoolStats {
  matched: number;
  unfilled: number;
  matchMsTotal: number;
  finished: number;
  runMsTotal: number;
}

/**
 * What the market looks like, folded from the signal log. Immutable: `applySignal` returns a
 * new value and shares what did not change.
 */
export interface MarketSignals {
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  readonly jobs: ReadonlyMap<string, JobRecord>;
  readonly stats: ReadonlyMap<PoolKey, PoolStats>;
}

export const EMPTY_SIGNALS: MarketSignals = { nodes: new Map(), jobs: new Map(), stats: new Map() };

const ZERO_STATS: PoolStats = {
  matched: 0,
  unfilled: 0,
  matchMsTotal: 0,
  finished: 0,
  runMsTotal: 0,
};

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V | undefined): Map<K, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

function bump(s: MarketSignals, pool: PoolKey, f: (p: PoolStats) => PoolStats): MarketSignals {
  return { ...s, stats: withEntry(s.stats, pool, f(s.stats.get(pool) ?? ZERO_STATS)) };
}

/**
 * Applies one log entry. Events that refer to something never seen (a match for a job queued
 * before the log began) are applied as far as they make sense, never rejected: the log is
 * history, and a replay must accept whatever the live service accepted.
 */
export function applySignal(s: MarketSignals, e: SignalEvent): MarketSignals {
  switch (e.kind) {
    case 'node-up': {
      const rec: NodeRecord = {
        pool: poolKey(e.gpuClass, e.region),
        gpus: e.gpus,
        vramMiB: e.vramMiB,
        active: s.nodes.get(e.node)?.active ?? true,
      };
      return { ...s, nodes: withEntry(s.nodes, e.node, rec) };
    }
    case 'node-down':
    case 'node-restored': {
      const rec = s.nodes.get(e.node);
      if (!rec) return s;
      return {
        ...s,
        nodes: withEntry(s.nodes, e.node, { ...rec, active: e.kind === 'node-restored' }),
      };
    }
    case 'node-removed':
      return s.nodes.has(e.node) ? { ...s, nodes: withEntry(s.nodes, e.node, undefined) } : s;
    case 'job-queued': {
      const rec: JobRecord = {
        tier: tierKey(e),
        pool: poolKey(e.gpuClass, e.region),
        gpus: e.gpus,
        state: 'queued',
        queuedAt: e.at,
        matchedAt: 0,
      };
      return { ...s, jobs: withEntry(s.jobs, e.jobId, rec) };
    }
    case 'job-rerouted': {
      const rec = s.jobs.get(e.jobId);
      if (!rec || rec.state !== 'queued') return s;
      const { gpuClass, urgency } = splitTier(rec.tier);
      const moved: JobRecord = {
        ...rec,
        tier: tierKey({ gpuClass, region: e.region, urgency }),
        pool: poolKey(gpuClass, e.region),
      };
      return { ...s, jobs: withEntry(s.jobs, e.jobId, moved) };
    }
    case 'job-matched': {
      const prior = s.jobs.get(e.jobId);
      const pool = matchedPool(s, e, prior);
      const rec: JobRecord = {
        tier: prior ? retier(prior.tier, e.region) : tierKey({ ...e, urgency: 'normal' }),
        pool,
        gpus: e.gpus || prior?.gpus || 0,
        state: 'running',
        queuedAt: prior?.queuedAt ?? e.at,
        matchedAt: e.at,
      };
      const next = { ...s, jobs: withEntry(s.jobs, e.jobId, rec) };
      if (prior?.state === 'running') return next;
      return bump(next, pool, (p) => ({
        ...p,
        matched: p.matched + 1,
        matchMsTotal: p.matchMsTotal + Math.max(0, e.at - rec.queuedAt),
      }));
    }
    case 'job-ended': {
      const rec = s.jobs.get(e.jobId);
      if (!rec) return s;
      const next = { ...s, jobs: withEntry(s.jobs, e.jobId, undefined) };
      if (rec.state === 'running' && e.outcome === 'finished')
        return bump(next, rec.pool, (p) => ({
          ...p,
          finished: p.finished + 1,
          runMsTotal: p.runMsTotal + Math.max(0, e.at - rec.matchedAt),
        }));
      if (rec.state === 'queued' && e.outcome === 'unfilled')
        return bump(next, rec.pool, (p) => ({ ...p, unfilled: p.unfilled + 1 }));
      return next;
    }
    case 'tick':
      return s;
  }
}

/**
 * Pool a match lands in: the class of the node it reserved if that node is known, else the class
 * the event names, else the class the job was queued for (a job asking only for memory).
 */
function matchedPool(
  s: MarketSignals,
  e: Extract<SignalEvent, { kind: 'job-matched' }>,
  prior: JobRecord | undefined,
): PoolKey {
  const node = e.node === undefined ? undefined : s.nodes.get(e.node);
  if (node) return node.pool;
  if (e.gpuClass !== 'unknown' || !prior) return poolKey(e.gpuClass, e.region);
  return poolKey(splitTier(prior.tier).gpuClass, e.region);
}

function splitTier(key: TierKey): { gpuClass: GpuClass; urgency: Urgency } {
  const [gpuClass, , urgency] = key.split('/') as [GpuClass, string, Urgency];
  return { gpuClass, urgency };
}

function retier(key: TierKey, region: string): TierKey {
  const { gpuClass, urgency } = splitTier(key);
  return tierKey({ gpuClass, region, urgency });
}

/** Supply and demand of one pool, and demand per tier, at one instant. */
export interface PoolView {
  pool: PoolKey;
  totalGpus: number;
  runningGpus: number;
  queuedGpus: number;
  /** GPUs per node of the pool's active nodes: the largest job one node can take. */
  largestNodeGpus: number;
  vramMiB: number;
  queuedByTier: Map<TierKey, number>;
  runningByTier: Map<TierKey, number>;
}

/** Aggregates per pool, keyed and iterated in sorted order. */
export function poolViews(s: MarketSignals): Map<PoolKey, PoolView> {
  const views = new Map<PoolKey, PoolView>();
  const view = (pool: PoolKey): PoolView => {
    let v = views.get(pool);
    if (!v) {
      v = {
        pool,
        totalGpus: 0,
        runningGpus: 0,
        queuedGpus: 0,
        largestNodeGpus: 0,
        vramMiB: 0,
        queuedByTier: new Map(),
        runningByTier: new Map(),
      };
      views.set(pool, v);
    }
    return v;
  };
  for (const n of s.nodes.values()) {
    const v = view(n.pool);
    if (!n.active) continue;
    v.totalGpus += n.gpus;
    v.largestNodeGpus = Math.max(v.largestNodeGpus, n.gpus);
    v.vramMiB = Math.max(v.vramMiB, n.vramMiB);
  }
  for (const j of s.jobs.values()) {
    const v = view(j.pool);
    const byTier = j.state === 'queued' ? v.queuedByTier : v.runningByTier;
    byTier.set(j.tier, (byTier.get(j.tier) ?? 0) + j.gpus);
    if (j.state === 'queued') v.queuedGpus += j.gpus;
    else v.runningGpus += j.gpus;
  }
  return new Map([...views.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
