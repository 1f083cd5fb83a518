import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface RegionsFile {
  regions: string[];
  rttMs(from: string, to: string): number | undefined;
}

/** Reads config/regions.yaml: region names and the symmetric latency matrix. */
export function readRegionsFile(path: string): RegionsFile {
  const doc = parse(readFileSync(path, 'utf8')) as {
    regions?: Array<{ name: string }>;
    latencyMs?: Record<string, Record<string, number>>;
  };
  const regions = (doc.regions ?? []).map((r) => r.name);
  if (regions.length === 0) throw new Error(`${path}: no regions`);
  const matrix = doc.latencyMs ?? {};
  return { regions, rttMs: (a, b) => matrix[a]?.[b] ?? matrix[b]?.[a] };
}
