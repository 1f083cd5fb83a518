import { randomUUID } from 'node:crypto';
import { waitUntil } from '@starminer/testing';
import { type EventPublisher, type Matchmaker } from './support/harness';
import { PrivateMatchmaker } from './support/private-matchmaker';
import {
  type EventStoreProbe,
  kubeApis,
  kubeJobsOnceListed,
  type PrivateRegions,
  submitFunded,
  submitRequest,
} from './support/private-stack';

// 500 jobs of mixed GPU needs (1, 2, 4 and 8 GPUs over five products) across three private
// regions with short kwok runtimes. Sampled from the API servers throughout: no node ever has more
// nvidia.com/gpu requested by its bound, unfinished pods than it has, and no pod of the
// matchmaker's is ever refused by the scheduler (its reservations agree with the nodes). At the
// end every job is terminal, with exactly one Kubernetes Job and one terminal event.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f5';
const JOBS = 500;
let stack: PrivateMatchmaker | undefined;
let regions: PrivateRegions;
let events: EventPublisher;
let mm: Matchmaker | undefined;
let probe: EventStoreProbe;

const shapes = [
  { region: 'sa', product: 'H100-80GB', max: 8 },
  { region: 'sa', product: 'A100-80GB', max: 8 },
  { region: 'sb', product: 'L40S', max: 4 },
  { region: 'sb', product: 'A100-40GB', max: 8 },
  { region: 'sc', product: 'RTX-4090', max: 2 },
  { region: 'sc', product: 'H100-80GB', max: 8 },
];

// The whole batch is queued at once: no job may overflow (no spillover runs here) while the
// backlog drains, whatever its urgency.
const NO_OVERFLOW = { PLACEMENT_WINDOWS: 'low=3600,normal=3600,high=3600,critical=3600' };

beforeAll(async () => {
  stack = await PrivateMatchmaker.start(
    runId,
    [
      {
        name: 'sa',
        pools: [
          { pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 4 },
          { pool: 'a100', product: 'A100-80GB', gpusPerNode: 8, nodes: 2 },
        ],
      },
      {
        name: 'sb',
        pools: [
          { pool: 'l40s', product: 'L40S', gpusPerNode: 4, nodes: 4 },
          { pool: 'a100s', product: 'A100-40GB', gpusPerNode: 8, nodes: 2 },
        ],
      },
      {
        name: 'sc',
        pools: [
          { pool: 'rtx', product: 'RTX-4090', gpusPerNode: 2, nodes: 4 },
          { pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 2 },
        ],
      },
    ],
    NO_OVERFLOW,
  );
  ({ regions, events, mm, probe } = stack);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
});

interface Sample {
  overcommitted: string[];
  unschedulable: string[];
  boundPods: number;
}

/** One look at every region's API server. */
async function sample(): Promise<Sample> {
  const s: Sample = { overcommitted: [], unschedulable: [], boundPods: 0 };
  for (const r of regions.regions) {
    const { core } = kubeApis(r.kubeconfig);
    const [nodes, pods] = await Promise.all([core.listNode(), core.listPodForAllNamespaces()]);
    const used = new Map<string, number>();
    for (const p of pods.items) {
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const refused = p.status?.conditions?.find(
        (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
      );
      if (refused) s.unschedulable.push(`${r.region}/${p.metadata!.name}: ${refused.message}`);
      if (!p.spec?.nodeName) continue;
      s.boundPods++;
      const gpus = (p.spec.containers ?? []).reduce(
        (n, c) => n + Number(c.resources?.requests?.['nvidia.com/gpu'] ?? 0),
        0,
      );
      used.set(p.spec.nodeName, (used.get(p.spec.nodeName) ?? 0) + gpus);
    }
    for (const n of nodes.items) {
      const cap = Number(n.status?.allocatable?.['nvidia.com/gpu'] ?? 0);
      const u = used.get(n.metadata!.name!) ?? 0;
      if (u > cap) s.overcommitted.push(`${r.region}/${n.metadata!.name} ${u}>${cap}`);
    }
  }
  return s;
}

it('runs 500 mixed jobs over three regions without overcommitting a GPU', async () => {
  const ids: string[] = [];
  for (let batch = 0; batch < JOBS; batch += 25) {
    const made = await Promise.all(
      Array.from({ length: Math.min(25, JOBS - batch) }, (_, k) => {
        const i = batch + k;
        const s = shapes[i % shapes.length]!;
        return submitFunded(
          mm!.client,
          events,
          submitRequest({
            key: `k-${i}`,
            client: CLIENT,
            clientId: `tenant-${i % 5}`,
            region: regions.get(s.region).region,
            product: s.product,
            gpus: Math.min(s.max, [1, 2, 4, 8][Math.floor(i / shapes.length) % 4]!),
            runtime: `${1 + (i % 3)}s`,
            urgency: 1 + (i % 4),
            fail: i % 50 === 49,
          }),
        );
      }),
    );
    ids.push(...made);
  }

  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(
        await sample().catch(() => ({ overcommitted: [], unschedulable: [], boundPods: -1 })),
      );
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const started = Date.now();
  try {
    await waitUntil(
      'every job terminal',
      async () => {
        const r = await probe.pool.query<{ status: string; n: string }>(
          `SELECT status, count(*) AS n FROM ${probe.schema}.jobs GROUP BY status`,
        );
        const ended = r.rows
          .filter((x) =>
            ['Succeeded', 'Failed', 'TimedOut', 'Cancelled', 'Expired'].includes(x.status),
          )
          .reduce((n, x) => n + Number(x.n), 0);
        if (ended === JOBS) return true;
        // Shown if the wait times out: where the jobs are.
        throw new Error(r.rows.map((x) => `${x.status}=${x.n}`).join(' '));
      },
      { timeoutMs: 480_000, intervalMs: 1_000 },
    );
  } finally {
    sampling = false;
    await sampler;
  }
  const drainSeconds = (Date.now() - started) / 1000;
  const valid = samples.filter((s) => s.boundPods >= 0);
  // Figures for the record (not asserted): how long the run took and how busy the nodes were.
  console.log(
    JSON.stringify({
      jobs: JOBS,
      drainSeconds,
      samples: valid.length,
      maxBoundPods: Math.max(...valid.map((s) => s.boundPods)),
    }),
  );
  expect(valid.length).toBeGreaterThan(10);
  expect(valid.flatMap((s) => s.overcommitted)).toEqual([]);
  expect([...new Set(valid.flatMap((s) => s.unschedulable))]).toEqual([]);

  const rows = await probe.pool.query<{ job_id: string; status: string; attempt: number }>(
    `SELECT job_id, status, attempt FROM ${probe.schema}.jobs`,
  );
  expect(rows.rows).toHaveLength(JOBS);
  const byStatus = new Map<string, number>();
  for (const r of rows.rows) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  expect(Object.fromEntries(byStatus)).toEqual({ Succeeded: JOBS - JOBS / 50, Failed: JOBS / 50 });
  expect(rows.rows.every((r) => r.attempt === 1)).toBe(true);

  const terminal = await probe.terminalCounts();
  expect(ids.filter((id) => terminal.get(id) !== 1)).toEqual([]);
  const perJob = await kubeJobsOnceListed(regions.regions, mm!.namespace, ids);
  expect([...perJob.keys()].sort()).toEqual([...ids].sort());
  expect([...perJob].filter(([, names]) => names.length !== 1)).toEqual([]);
}, 600_000);
