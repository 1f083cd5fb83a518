import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type RegionMatrix } from '../app/plan-routing/plan-routing.handler';

/** Reads the regions file (config/regions.yaml; JSON works too): region names and the RTT matrix. */
export function readRegionMatrix(path: string): RegionMatrix {
  const doc = parse(readFileSync(path, 'utf8')) as {
    regions?: Array<{ name: string }>;
    latencyMs?: Record<string, Record<string, number>>;
  };
  const regions = (doc.regions ?? []).map((r) => r.name);
  if (regions.length === 0) throw new Error(`${path}: no regions; expected a "regions" list`);
  const m = doc.latencyMs ?? {};
  return { regions, rttMs: (a, b) => m[a]?.[b] ?? m[b]?.[a] };
}
