// What bench/matchmaker-throughput.ts measures on a cluster: when each job's pod first runs and
// how the GPUs of the bench's nodes are allocated while submitted jobs wait; stage times from the
// matchmaker's event store; small helpers.
import type * as k8s from '@kubernetes/client-node';
import { Pool } from 'pg';
import { requireStackVar } from '@starminer/testing';

export const GPUS_PER_NODE = 8;

interface Sample {
  allocated: number;
  fullNodes: number;
  freeOnPartial: number;
  free: number;
}

export interface PhaseResult {
  jobs: number;
  wallSeconds: number;
  throughputJobsPerSecond: number;
  submitToRunningMs: { p50: number; p99: number; max: number };
  packing: {
    meanGpuAllocation: number;
    meanFullyUsedNodes: number;
    meanStrandedFreeGpus: number;
    samples: number;
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function pooled<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/**
 * Samples the namespace's pods every 250 ms: the first time each key's pod is Running, and the
 * GPU allocation on the bench's nodes while some job has not started yet.
 */
export class Sampler {
  readonly runningAt = new Map<string, number>();
  readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly namespace: string,
    private readonly keyOf: (p: k8s.V1Pod) => string | undefined,
    private readonly nodes: string[],
    /** Jobs submitted so far (key -> submit time); a sample counts while one of them waits. */
    private readonly submitted: ReadonlyMap<string, number>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pods = await this.core.listNamespacedPod({ namespace: this.namespace });
      const now = Date.now();
      const used = new Map(this.nodes.map((n) => [n, 0]));
      for (const p of pods.items) {
        const key = this.keyOf(p);
        if (key && p.status?.phase === 'Running' && !this.runningAt.has(key))
          this.runningAt.set(key, now);
        const node = p.spec?.nodeName;
        const live = p.status?.phase === 'Running' || p.status?.phase === 'Pending';
        if (node && live && used.has(node)) {
          const gpus = Number(p.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu'] ?? 0);
          used.set(node, used.get(node)! + gpus);
        }
      }
      if ([...this.submitted.keys()].some((k) => !this.runningAt.has(k))) {
        const counts = [...used.values()];
        const allocated = counts.reduce((a, b) => a + b, 0);
        const free = counts.reduce((a, b) => a + (GPUS_PER_NODE - b), 0);
        this.samples.push({
          allocated: allocated / (this.nodes.length * GPUS_PER_NODE),
          fullNodes: counts.filter((c) => c >= GPUS_PER_NODE).length / this.nodes.length,
          freeOnPartial: counts
            .filter((c) => c > 0 && c < GPUS_PER_NODE)
            .reduce((a, c) => a + (GPUS_PER_NODE - c), 0),
          free,
        });
      }
    } catch {
      // A failed list is one lost sample.
    } finally {
      this.busy = false;
    }
  }

  result(submittedAt: Map<string, number>): PhaseResult {
    const lat = [...submittedAt].map(([k, t]) => this.runningAt.get(k)! - t);
    const first = Math.min(...submittedAt.values());
    const last = Math.max(...this.runningAt.values());
    const wall = (last - first) / 1000;
    const busy = this.samples;
    return {
      jobs: submittedAt.size,
      wallSeconds: Number(wall.toFixed(2)),
      throughputJobsPerSecond: Number((submittedAt.size / wall).toFixed(3)),
      submitToRunningMs: { p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat) },
      packing: {
        meanGpuAllocation: Number(mean(busy.map((s) => s.allocated)).toFixed(3)),
        meanFullyUsedNodes: Number(mean(busy.map((s) => s.fullNodes)).toFixed(3)),
        meanStrandedFreeGpus: Number(
          mean(busy.filter((s) => s.free > 0).map((s) => s.freeOnPartial / s.free)).toFixed(3),
        ),
        samples: busy.length,
      },
    };
  }
}

/** p50/p99 from JobSubmitted to each later event of the jobs, from the matchmaker's event store. */
export async function stages(
  schema: string,
): Promise<Record<string, { p50: number; p99: number }>> {
  const db = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
  try {
    const r = await db.query<{ type: string; p50: number; p99: number }>(
      `WITH t AS (SELECT stream_id, type, min(recorded_at) AS at FROM ${schema}.events GROUP BY 1, 2)
       SELECT t.type,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.at - s.at)) * 1000 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM t.at - s.at)) * 1000 AS p99
         FROM t JOIN t s ON s.stream_id = t.stream_id AND s.type = 'JobSubmitted'
        WHERE t.type IN ('JobFunded', 'JobMatched', 'JobDispatched', 'JobStarted')
        GROUP BY 1 ORDER BY 2`,
    );
    return Object.fromEntries(
      r.rows.map((x) => [x.type, { p50: Math.round(x.p50), p99: Math.round(x.p99) }]),
    );
  } finally {
    await db.end();
  }
}
