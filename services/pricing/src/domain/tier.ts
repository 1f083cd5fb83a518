import { type GpuClass, type KnownGpuClass } from '@starminer/gpu-catalogue';

/** How soon a job must be placed; the third axis of a pricing tier. */
export const URGENCIES = ['low', 'normal', 'high', 'critical'] as const;
export type Urgency = (typeof URGENCIES)[number];

export function isUrgency(value: string): value is Urgency {
  return (URGENCIES as readonly string[]).includes(value);
}

/** A node pool for pricing: every GPU of one class in one region ("H100-80GB/us-east"). */
export type PoolKey = `${string}/${string}`;
/** A pricing tier: GPU class x region x urgency ("H100-80GB/us-east/high"). */
export type TierKey = `${string}/${string}/${Urgency}`;

export interface Tier {
  gpuClass: KnownGpuClass;
  region: string;
  urgency: Urgency;
}

export function poolKey(gpuClass: GpuClass, region: string): PoolKey {
  return `${gpuClass}/${region}`;
}

export function tierKey(t: { gpuClass: GpuClass; region: string; urgency: Urgency }): TierKey {
  return `${t.gpuClass}/${t.region}/${t.urgency}`;
}

export function poolOfTier(key: TierKey): PoolKey {
  return key.slice(0, key.lastIndexOf('/')) as PoolKey;
}

/** Splits a tier key; class names and regions never contain "/". */
export function parseTierKey(key: string): { gpuClass: string; region: string; urgency: Urgency } {
  const parts = key.split('/');
  const urgency = parts[2] ?? '';
  if (parts.length !== 3 || !parts[0] || !parts[1] || !isUrgency(urgency)) {
    throw new Error(`not a tier key: "${key}" (expected <gpu class>/<region>/<urgency>)`);
  }
  return { gpuClass: parts[0], region: parts[1], urgency };
}

export function parsePoolKey(key: PoolKey): { gpuClass: string; region: string } {
  const i = key.indexOf('/');
  return { gpuClass: key.slice(0, i), region: key.slice(i + 1) };
}

/** Sorted copy of map keys: every iteration that feeds a price goes in this order. */
export function sortedKeys<K extends string>(map: ReadonlyMap<K, unknown>): K[] {
  return [...map.keys()].sort();
}
