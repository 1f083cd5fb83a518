import { type KnownGpuClass } from '@starminer/gpu-catalogue';
import { neutralPrice, type PricingPolicy } from '../domain/policy';
import { type SignalEvent } from '../domain/signal-events';
import { URGENCIES, type Urgency } from '../domain/tier';

/** mulberry32: a tiny seeded PRNG, so a simulation is the same on every run and machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimPool {
  gpuClass: KnownGpuClass;
  region: string;
  nodes: number;
  gpusPerNode: number;
  vramMiB: number;
  /** Mean job arrivals per minute at the daily peak. */
  peakArrivalsPerMinute: number;
}

/** The local stack's pools, with demand that peaks at 15:00 and is low at night. */
export const DEFAULT_POOLS: SimPool[] = [
  {
    gpuClass: 'H100-80GB',
    region: 'us-east',
    nodes: 4,
    gpusPerNode: 8,
    vramMiB: 81559,
    peakArrivalsPerMinute: 0.22,
  },
  {
    gpuClass: 'A100-80GB',
    region: 'us-east',
    nodes: 2,
    gpusPerNode: 8,
    vramMiB: 81920,
    peakArrivalsPerMinute: 0.1,
  },
  {
    gpuClass: 'L40S',
    region: 'eu-west',
    nodes: 4,
    gpusPerNode: 4,
    vramMiB: 46068,
    peakArrivalsPerMinute: 0.13,
  },
  {
    gpuClass: 'RTX-4090',
    region: 'ap-south',
    nodes: 4,
    gpusPerNode: 2,
    vramMiB: 24564,
    peakArrivalsPerMinute: 0.09,
  },
];

const DEADLINE_MIN: Record<Urgency, number> = { low: 120, normal: 45, high: 15, critical: 5 };

interface SimJob {
  id: string;
  pool: number;
  urgency: Urgency;
  gpus: number;
  minutes: number;
  queuedAt: number;
  endsAt: number;
}

/**
 * A day of synthetic demand, minute by minute: arrivals follow a daily curve, jobs ask for 1 to
 * 8 GPUs for 10 to 120 minutes, are matched by urgency then age when GPUs are free, and leave
 * unfilled after their urgency's deadline. At 12:00 one node of the first pool leaves and comes
 * back at 14:00. Clients state a maximum price between 0.9x and 2.5x the tier's neutral price.
 * Demand here does not react to prices: the log is the input the strategies are compared on.
 */
export function syntheticDay(
  policy: PricingPolicy,
  pools = DEFAULT_POOLS,
  seed = 6,
  start = Date.UTC(2026, 0, 1),
): SignalEvent[] {
  const rand = prng(seed);
  const log: SignalEvent[] = [];
  const at = (minute: number) => start + minute * 60_000;
  pools.forEach((p, i) => {
    for (let n = 0; n < p.nodes; n++)
      log.push({
        kind: 'node-up',
        at: at(0),
        node: `${p.region}/sim-${i}-${n}`,
        region: p.region,
        gpuClass: p.gpuClass,
        gpus: p.gpusPerNode,
        vramMiB: p.vramMiB,
      });
  });
  const supply = pools.map((p) => p.nodes * p.gpusPerNode);
  const running = pools.map(() => 0);
  let queue: SimJob[] = [];
  let active: SimJob[] = [];
  let next = 0;
  for (let m = 0; m < 1440; m++) {
    if (m === 720) {
      log.push({ kind: 'node-down', at: at(m), node: `${pools[0]!.region}/sim-0-0` });
      supply[0]! -= pools[0]!.gpusPerNode;
    }
    if (m === 840) {
      log.push({ kind: 'node-restored', at: at(m), node: `${pools[0]!.region}/sim-0-0` });
      supply[0]! += pools[0]!.gpusPerNode;
    }
    // Daily curve: 0.15 at 03:00 up to 1 at 15:00.
    const curve = 0.575 - 0.425 * Math.cos((2 * Math.PI * (m - 180)) / 1440);
    pools.forEach((p, i) => {
      let arrivals = 0;
      for (let k = 0; k < 4; k++) if (rand() < (p.peakArrivalsPerMinute * curve) / 4) arrivals++;
      for (let k = 0; k < arrivals; k++) {
        const urgency = URGENCIES[Math.min(3, Math.floor(rand() * rand() * 5))]!;
        const gpus = Math.min(p.gpusPerNode, 1 + Math.floor(rand() * rand() * 8));
        const job: SimJob = {
          id: `sim-${++next}`,
          pool: i,
          urgency,
          gpus,
          minutes: 10 + Math.floor(rand() * 110),
          queuedAt: m,
          endsAt: 0,
        };
        const neutral = neutralPrice(policy, p.gpuClass, urgency);
        const maxPrice = (neutral * BigInt(9_000 + Math.floor(rand() * 16_000))) / 10_000n;
        log.push({
          kind: 'job-queued',
          at: at(m),
          jobId: job.id,
          region: p.region,
          gpuClass: p.gpuClass,
          urgency,
          gpus,
          maxPricePerGpuSecond: maxPrice,
        });
        queue.push(job);
      }
    });
    active = active.filter((j) => {
      if (j.endsAt > m) return true;
      running[j.pool]! -= j.gpus;
      log.push({ kind: 'job-ended', at: at(m), jobId: j.id, outcome: 'finished' });
      return false;
    });
    queue.sort(
      (a, b) =>
        URGENCIES.indexOf(b.urgency) - URGENCIES.indexOf(a.urgency) || a.queuedAt - b.queuedAt,
    );
    queue = queue.filter((j) => {
      const p = pools[j.pool]!;
      if (supply[j.pool]! - running[j.pool]! >= j.gpus) {
        running[j.pool]! += j.gpus;
        j.endsAt = m + j.minutes;
        active.push(j);
        log.push({
          kind: 'job-matched',
          at: at(m),
          jobId: j.id,
          region: p.region,
          gpuClass: p.gpuClass,
          gpus: j.gpus,
        });
        return false;
      }
      if (m - j.queuedAt >= DEADLINE_MIN[j.urgency]) {
        log.push({ kind: 'job-ended', at: at(m), jobId: j.id, outcome: 'unfilled' });
        return false;
      }
      return true;
    });
    log.push({ kind: 'tick', at: at(m + 1) - 1 });
  }
  return log;
}
