import { type GpuClass, resolveGpuClass } from '@starminer/gpu-catalogue';
import { type NodeRecord } from './node';

/** GPUs of one provider's pool of one class in one region. */
export interface PoolCapacity {
  region: string;
  provider: string;
  pool: string;
  gpuClass: GpuClass;
  gpuProduct: string;
  gpuMemoryMiB: number;
  nodes: number;
  totalGpus: number;
  allocatableGpus: number;
  allocatedGpus: number;
  freeGpus: number;
}

export interface CapacityFilter {
  region?: string;
  provider?: string;
  /** A catalogue class or a product label. */
  gpuProduct?: string;
}

/**
 * Inventory from node records. Only admitted nodes of active providers count; free GPUs come
 * only from ready, uncordoned ones (allocatable minus allocated, never below zero).
 */
export function summarizeCapacity(
  nodes: readonly NodeRecord[],
  activeProviders: ReadonlySet<string>,
  filter: CapacityFilter = {},
): PoolCapacity[] {
  const wantClass = filter.gpuProduct ? resolveGpuClass(filter.gpuProduct) : undefined;
  const pools = new Map<string, PoolCapacity>();
  for (const n of nodes) {
    if (n.status !== 'admitted' || !activeProviders.has(n.provider)) continue;
    if (filter.region && n.region !== filter.region) continue;
    if (filter.provider && n.provider !== filter.provider.toLowerCase()) continue;
    if (filter.gpuProduct && n.gpuClass !== wantClass && n.gpuProduct !== filter.gpuProduct)
      continue;
    const key = [n.region, n.provider, n.pool, n.gpuClass].join('\u0000');
    const p = pools.get(key) ?? {
      region: n.region,
      provider: n.provider,
      pool: n.pool,
      gpuClass: n.gpuClass,
      gpuProduct: n.gpuProduct,
      gpuMemoryMiB: n.gpuMemoryMiB,
      nodes: 0,
      totalGpus: 0,
      allocatableGpus: 0,
      allocatedGpus: 0,
      freeGpus: 0,
    };
    p.nodes++;
    p.totalGpus += n.capacityGpus;
    p.allocatableGpus += n.allocatableGpus;
    p.allocatedGpus += n.allocatedGpus;
    if (n.ready && !n.cordoned) p.freeGpus += Math.max(0, n.allocatableGpus - n.allocatedGpus);
    pools.set(key, p);
  }
  return [...pools.values()].sort(
    (a, b) =>
      a.region.localeCompare(b.region) ||
      a.gpuClass.localeCompare(b.gpuClass) ||
      a.provider.localeCompare(b.provider) ||
      a.pool.localeCompare(b.pool),
  );
}
