import { type NodeObservation } from '../../src/domain/node';

/** An H100 node of us-east as GPU feature discovery labels it, for unit specs. */
export const provider = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
export function h100Node(
  over: Partial<NodeObservation> = {},
  labels: Record<string, string> = {},
): NodeObservation {
  return {
    region: 'us-east',
    name: 'n1',
    uid: 'uid-1',
    labels: {
      'starminer.io/region': 'us-east',
      'starminer.io/provider': provider,
      'starminer.io/pool': 'h100-a',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.memory': '81559',
      'nvidia.com/gpu.count': '8',
      ...labels,
    },
    signature: '0xsig',
    capacityGpus: 8,
    allocatableGpus: 8,
    allocatedGpus: 0,
    ready: 'True',
    lastHeartbeat: new Date('2026-01-01T00:00:00Z'),
    cordoned: false,
    ...over,
  };
}

/** A point in time for domain specs (domain code, specs included, never touch the clock or Date). */
export const at = (iso: string, plusMs = 0): Date => new Date(new Date(iso).getTime() + plusMs);
