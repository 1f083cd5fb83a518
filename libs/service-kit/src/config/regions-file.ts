import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The regions a deployment serves and the round-trip times between them. */
export interface RegionsFile {
  regions: string[];
  /** Symmetric: a pair given once serves both directions; undefined when the file has neither. */
  rttMs(from: string, to: string): number | undefined;
}

/** Reads the regions file (config/regions.yaml; JSON is YAML too): region names and the RTT matrix. */
export function readRegionsFile(path: string): RegionsFile {
  const doc = parse(readFileSync(path, 'utf8')) as {
    regions?: Array<{ name: string }>;
    latencyMs?: Record<string, Record<string, number>>;
  };
  const regions = (doc.regions ?? []).map((r) => r.name);
  if (regions.length === 0)
    throw new Error(`${path}: no regions; expected a "regions" list of {name}`);
  const matrix = doc.latencyMs ?? {};
  return { regions, rttMs: (a, b) => matrix[a]?.[b] ?? matrix[b]?.[a] };
}
