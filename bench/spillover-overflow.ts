// Spillover: time from overflow to dispatch in another region, for BENCH_JOBS (default 1,000)
// queued jobs in a saturated region. Three private kwok regions (never the shared ones): us-east
// with one H100 GPU, held by a long job; eu-west and ap-south with enough H100 nodes for every
// job. The matchmaker and spillover run in this process on the stack's Kafka and Postgres, with a
// stand-in quote server. Every job is 1 GPU, critical urgency, placement window 2 s: each
// overflows from us-east and spillover reroutes it. Overflow = JobOverflowed, dispatch =
// JobDispatched (Kubernetes Job created in the new region), both from the matchmaker's event store.
// Prints the figures and writes bench/results/spillover-overflow.json.
// Run: npx tsx bench/spillover-overflow.ts
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '@starminer/testing';
import {
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from '../services/matchmaker/test/support/harness';
import {
  EventStoreProbe,
  PrivateRegions,
  submitFunded,
  submitRequest,
} from '../services/matchmaker/test/support/private-stack';
import {
  startSpillover,
  writeLatencyMatrix,
  type Spillover,
} from '../services/spillover/test/support/spillover-harness';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const IN_FLIGHT = 8;
const GPUS_PER_NODE = 8;

async function pooled<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const runId = `b${randomUUID().slice(0, 5)}`;
  const name = (r: string) => `${r}-${runId}`;
  // Both other regions together hold every job at once.
  const nodesPerRegion = Math.ceil(JOBS / 2 / GPUS_PER_NODE) + 1;
  let regions: PrivateRegions | undefined;
  let mm: Matchmaker | undefined;
  let spill: Spillover | undefined;
  let store: EventStoreProbe | undefined;
  const events = new EventPublisher();
  const quotes = await startQuoteServer(3600);
  try {
    const pool = (gpusPerNode: number, nodes: number) => [
      { pool: 'h100', product: 'H100-80GB', gpusPerNode, nodes },
    ];
    regions = await PrivateRegions.create(runId, [
      { name: 'us-east', pools: pool(1, 1) },
      { name: 'eu-west', pools: pool(GPUS_PER_NODE, nodesPerRegion) },
      { name: 'ap-south', pools: pool(GPUS_PER_NODE, nodesPerRegion) },
    ]);
    writeLatencyMatrix(regions.regionsFile, name);
    await events.connect();
    mm = await startMatchmaker({
      pricingAddress: quotes.address,
      runId,
      extraEnv: {
        ...regions.env(),
        PLACEMENT_WINDOWS: 'low=3600,normal=3600,high=3600,critical=2',
        MATCH_ACROSS_REGIONS: 'false',
        LOG_LEVEL: 'error',
      },
    });
    store = new EventStoreProbe(`mm_${runId}`);
    spill = await startSpillover({
      runId,
      matchmakerAddress: `127.0.0.1:${mm.service.grpcPort}`,
      regionsEnv: regions.env(),
      extraEnv: { SPILL_AFTER_SECONDS: '3600', LOG_LEVEL: 'error' },
    });
    await waitUntil(
      'spillover to know the nodes',
      async () => {
        await regions!.announce(events);
        const n = await spill!.pool.query(`SELECT count(*)::int AS n FROM ${spill!.schema}.nodes`);
        return n.rows[0].n === 1 + 2 * nodesPerRegion ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 5_000 },
    );
    const submit = (key: string, urgency: number, runtime: string) => {
      const req = submitRequest({
        key: `${runId}-${key}`,
        client: '0x00000000000000000000000000000000000000b1',
        clientId: `bench-${runId}`,
        region: name('us-east'),
        product: 'H100-80GB',
        gpus: 1,
        runtime,
        urgency,
      });
      return submitFunded(mm!.client, events, req);
    };
    // Saturate us-east: its one GPU runs a long job.
    const filler = await submit('filler', 2, '3600s');
    await waitUntil('us-east saturated', async () =>
      (await store!.state(filler)).status === 'Running' ? true : undefined,
    );

    const t0 = Date.now();
    const ids: string[] = [];
    await pooled(
      Array.from({ length: JOBS }, (_, i) => i),
      IN_FLIGHT,
      async (i) => {
        ids.push(await submit(`job-${i}`, 4, '30s'));
      },
    );
    const submitted = Date.now();
    const times = async () => {
      const r = await store!.pool.query<{ stream_id: string; type: string; at: Date }>(
        `SELECT stream_id, type, min(occurred_at) AS at FROM ${store!.schema}.events
          WHERE type IN ('JobOverflowed', 'JobDispatched', 'JobRerouted') GROUP BY stream_id, type`,
      );
      const m = new Map<string, Record<string, number>>();
      for (const x of r.rows) {
        const e = m.get(x.stream_id) ?? {};
        e[x.type] = x.at.getTime();
        m.set(x.stream_id, e);
      }
      return m;
    };
    let last = 0;
    const all = await waitUntil(
      'every job dispatched in another region',
      async () => {
        const m = await times();
        const done = ids.filter((id) => m.get(id)?.JobRerouted && m.get(id)?.JobDispatched);
        if (done.length !== last) {
          last = done.length;
          process.stdout.write(`  ${done.length}/${JOBS} dispatched elsewhere\n`);
        }
        return done.length === JOBS ? m : undefined;
      },
      { timeoutMs: 1_800_000, intervalMs: 2_000 },
    );
    const finished = Date.now();
    const span = (from: string, to: string) =>
      ids.map((id) => all.get(id)![to]! - all.get(id)![from]!).sort((a, b) => a - b);
    const lat = span('JobOverflowed', 'JobDispatched');
    // Where the time goes: spillover's part (overflow to the matchmaker accepting the reroute)
    // and the matchmaker's (matching and creating the Kubernetes Job in the new region).
    const toReroute = span('JobOverflowed', 'JobRerouted');
    const toDispatch = span('JobRerouted', 'JobDispatched');
    const regionsUsed = await store.pool.query<{ region: string; n: number }>(
      `SELECT region, count(*)::int AS n FROM ${store.schema}.jobs WHERE job_id = ANY($1) GROUP BY region`,
      [ids],
    );
    const result = {
      jobs: JOBS,
      saturatedRegion: 'us-east (1 H100 GPU, held)',
      otherRegions: `eu-west and ap-south, ${nodesPerRegion} nodes x ${GPUS_PER_NODE} H100 each`,
      placementWindowCriticalSeconds: 2,
      overflowToDispatchMs: {
        p50: pct(lat, 50),
        p95: pct(lat, 95),
        max: lat[lat.length - 1],
        min: lat[0],
      },
      overflowToRerouteMs: { p50: pct(toReroute, 50), p95: pct(toReroute, 95) },
      rerouteToDispatchMs: { p50: pct(toDispatch, 50), p95: pct(toDispatch, 95) },
      submitAndFundSeconds: (submitted - t0) / 1000,
      firstSubmitToLastDispatchSeconds: (finished - t0) / 1000,
      dispatchedPerRegion: Object.fromEntries(regionsUsed.rows.map((r) => [r.region, r.n])),
      matchmaker: {
        TICK_MS: 200,
        kubeSchedulerAndControllerQps: 'unlimited (--disable-qps-limits)',
      },
      spillover: { PLAN_MS: 300 },
      measuredAt: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    const out = path.join(__dirname, 'results', 'spillover-overflow.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await spill?.stop().catch(() => undefined);
    await mm?.stop().catch(() => undefined);
    await events.disconnect().catch(() => undefined);
    await quotes.stop();
    await store?.drop();
    regions?.delete();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
