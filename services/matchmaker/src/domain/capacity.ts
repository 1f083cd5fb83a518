/** One GPU node as matching sees it: the registry's view reconciled with its cluster's. */
export interface NodeCapacity {
  region: string;
  node: string;
  provider: string;
  pool: string;
  /** nvidia.com/gpu.product label. */
  product: string;
  memoryMiB: number;
  /** Allocatable nvidia.com/gpu. */
  allocatable: number;
  /** Counts as capacity: joined (registry), not quarantined, present and Ready in its cluster. */
  healthy: boolean;
  /** GPUs requested by live pods on the node that are not the matchmaker's (other tenants). */
  usedByOthers: number;
}

/** GPUs held for a job from match until the job ends or its dispatch fails. */
export interface Reservation {
  jobId: string;
  region: string;
  node: string;
  gpus: number;
}

export const nodeKey = (region: string, node: string): string => `${region}/${node}`;

/** Free GPUs per node (region/node key): allocatable minus other tenants' pods minus reservations. */
export function freeGpus(
  nodes: readonly NodeCapacity[],
  reservations: readonly Reservation[],
): Map<string, number> {
  const free = new Map<string, number>();
  for (const n of nodes) free.set(nodeKey(n.region, n.node), n.allocatable - n.usedByOthers);
  for (const r of reservations) {
    const key = nodeKey(r.region, r.node);
    if (free.has(key)) free.set(key, free.get(key)! - r.gpus);
  }
  return free;
}
