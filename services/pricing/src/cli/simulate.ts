// npm run simulate -w @starminer/pricing -- [--policy FILE] [--svg FILE] [--log FILE] [--seed N]
// Drives a day of synthetic demand through the MTP engine, writes the price-vs-imbalance plot
// (default docs/img/pricing-simulation.svg) and optionally the event log (.jsonl) it used.
import fs from 'node:fs';
import path from 'node:path';
import { isKnownGpuClass } from '@starminer/gpu-catalogue';
import { DEFAULT_POLICY } from '../domain/policy';
import { applyEntry, initialEngineState } from '../domain/replay';
import { encodeSignal } from '../domain/signal-log-codec';
import { poolViews } from '../domain/signals';
import { mtpStrategy } from '../domain/strategy';
import { URGENCIES, parsePoolKey, tierKey, type PoolKey } from '../domain/tier';
import { readPolicyFile } from '../infra/policy-file';
import { perGpuHour } from './format';
import { renderPanels, type Series } from './svg-plot';
import { DEFAULT_POOLS, syntheticDay } from './synthetic-day';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const repo = path.resolve(__dirname, '../../../..');
const policy = arg('--policy') ? readPolicyFile(arg('--policy')!) : DEFAULT_POLICY;
const svgFile = path.resolve(arg('--svg') ?? path.join(repo, 'docs/img/pricing-simulation.svg'));
const seed = Number(arg('--seed') ?? 6);
const log = syntheticDay(policy, DEFAULT_POOLS, seed);
if (arg('--log')) fs.writeFileSync(arg('--log')!, log.map(encodeSignal).join('\n') + '\n');

const strategy = mtpStrategy(policy);
let state = initialEngineState(strategy);
const pools = DEFAULT_POOLS.map((p) => `${p.gpuClass}/${p.region}` as PoolKey);
const util = new Map(pools.map((p) => [p, [] as number[]]));
const prices = new Map(
  pools.flatMap((p) => URGENCIES.map((u) => [`${p}/${u}`, [] as number[]] as const)),
);
let ticks = 0;
let changes = 0;
for (const entry of log) {
  const r = applyEntry(strategy, state, entry);
  state = r.state;
  changes += r.points.length;
  if (entry.kind !== 'tick') continue;
  ticks++;
  const views = poolViews(state.signals);
  for (const p of pools) {
    const v = views.get(p)!;
    util.get(p)!.push(v.totalGpus === 0 ? 0 : (100 * (v.queuedGpus + v.runningGpus)) / v.totalGpus);
    const { gpuClass, region } = parsePoolKey(p);
    if (!isKnownGpuClass(gpuClass)) continue;
    for (const u of URGENCIES)
      prices
        .get(`${p}/${u}`)!
        .push(perGpuHour(state.prices.tiers.get(tierKey({ gpuClass, region, urgency: u }))!.price));
  }
}

// Every 5th interval is plotted: enough for the shape of a day, and a small file.
const STRIDE = 5;
const sample = (xs: number[]) => xs.filter((_, i) => i % STRIDE === 0);
const colors = { low: '#6baed6', normal: '#2171b5', high: '#fd8d3c', critical: '#d94801' };
const svg = renderPanels(
  `MTP engine over a synthetic day (policy ${policy.name}, seed ${seed}): price per tier vs demand/supply`,
  (i) => `${String(Math.floor((i * STRIDE) / 60)).padStart(2, '0')}:00`,
  Math.ceil(ticks / STRIDE),
  pools.map((p) => ({
    title: `${p}${p === pools[0] ? ' (one node quarantined 12:00-14:00)' : ''}`,
    leftLabel: 'AGPU per GPU-hour',
    rightLabel: 'demand / supply (%)',
    rightMax: Math.max(200, Math.ceil(Math.max(...util.get(p)!) / 50) * 50),
    series: [
      ...URGENCIES.map((u): Series => ({
        label: u,
        color: colors[u],
        values: sample(prices.get(`${p}/${u}`)!),
      })),
      {
        label: 'demand/supply',
        color: '#555',
        values: sample(util.get(p)!),
        right: true,
        dashed: true,
      },
    ],
  })),
);
fs.mkdirSync(path.dirname(svgFile), { recursive: true });
fs.writeFileSync(svgFile, svg);

console.log(
  `simulated ${ticks} intervals of ${policy.intervalSeconds} s, ${log.length} log entries, ${changes} price changes`,
);
console.log(
  'pool                 mean util  peak util  normal price AGPU/GPU-h: min   mean    max',
);
for (const p of pools) {
  const u = util.get(p)!;
  const n = prices.get(`${p}/normal`)!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `${p.padEnd(20)} ${mean(u).toFixed(0).padStart(7)} % ${Math.max(...u)
      .toFixed(0)
      .padStart(7)} %    ${Math.min(...n)
      .toFixed(3)
      .padStart(20)} ${mean(n).toFixed(3).padStart(6)} ${Math.max(...n)
      .toFixed(3)
      .padStart(6)}`,
  );
}
console.log(`plot written to ${path.relative(process.cwd(), svgFile)}`);
