// Builders for the domain specs: evidence rows with only the fields a test cares about.
import { type Evidence } from './evidence';

export const DAY = 86_400_000;
// 2030-01-01T00:00:00Z
export const T0 = 1_893_456_000_000;
let n = 0;
const id = () => `ev-${++n}`;
const base = (atMs: number, pool = 'eu-west/a100') => ({
  eventId: id(),
  atMs,
  provider: '0xp',
  pool,
});

export const success = (
  atMs: number,
  gpuSeconds = 3_600,
  weight = gpuSeconds / 3_600,
): Evidence => ({
  ...base(atMs),
  kind: 'success',
  weight: Math.min(24, weight),
  gpuSeconds,
});
export const fault = (atMs: number, weight = 1): Evidence => ({
  ...base(atMs),
  kind: 'fault',
  cause: 'node-fault',
  weight,
  gpuSeconds: weight * 3_600,
});
export const workloadError = (atMs: number): Evidence => ({
  ...base(atMs),
  kind: 'ignored',
  cause: 'workload-error',
});
export const slash = (atMs: number, stakeShare = 0.1): Evidence => ({
  ...base(atMs),
  pool: undefined,
  kind: 'slash',
  amount: 10n,
  stakeShare,
});
export const quarantine = (atMs: number, endMs?: number): Evidence => ({
  ...base(atMs),
  kind: 'quarantine',
  node: 'n1',
  reason: 'NotReady',
  endMs,
});
export const startup = (atMs: number, seconds: number): Evidence => ({
  ...base(atMs),
  kind: 'startup',
  seconds,
});
export const runtime = (atMs: number, ratio: number): Evidence => ({
  ...base(atMs),
  kind: 'runtime',
  ratio,
});
