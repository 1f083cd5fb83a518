import { at } from '../../test/support/node-fixtures';
import { summarizeCapacity } from './inventory';
import { type NodeRecord } from './node';

const P = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
const Q = '0x14dc79964da2c08b23698b3d3cc7ca32193d9955';
function node(over: Partial<NodeRecord>): NodeRecord {
  return {
    region: 'us-east',
    name: 'n',
    uid: 'u',
    provider: P,
    pool: 'h100-a',
    gpuProduct: 'NVIDIA-H100-80GB-HBM3',
    gpuClass: 'H100-80GB',
    gpuMemoryMiB: 81559,
    capacityGpus: 8,
    allocatableGpus: 8,
    allocatedGpus: 0,
    ready: true,
    cordoned: false,
    lastHeartbeat: undefined,
    status: 'admitted',
    reason: '',
    message: '',
    verified: true,
    version: 1,
    updatedAt: at('1970-01-01T00:00:00Z'),
    ...over,
  };
}

describe('summarizeCapacity', () => {
  const nodes = [
    node({ name: 'a', allocatedGpus: 3 }),
    node({ name: 'b', cordoned: true }),
    node({ name: 'c', status: 'quarantined' }),
    node({ name: 'd', status: 'rejected' }),
    node({
      name: 'e',
      provider: Q,
      pool: 'l40s',
      gpuProduct: 'NVIDIA-L40S',
      gpuClass: 'L40S',
      capacityGpus: 4,
      allocatableGpus: 4,
    }),
    node({ name: 'f', region: 'eu-west', allocatedGpus: 9 }),
  ];

  it('given admitted, cordoned, quarantined and rejected nodes, then only admitted count and only schedulable ones are free', () => {
    const pools = summarizeCapacity(nodes, new Set([P, Q]), { region: 'us-east' });
    expect(pools).toMatchObject([
      {
        pool: 'h100-a',
        gpuClass: 'H100-80GB',
        nodes: 2,
        totalGpus: 16,
        allocatableGpus: 16,
        allocatedGpus: 3,
        freeGpus: 5,
      },
      { pool: 'l40s', gpuClass: 'L40S', nodes: 1, totalGpus: 4, freeGpus: 4 },
    ]);
  });

  it('given an inactive provider, then its nodes are withdrawn', () => {
    expect(
      summarizeCapacity(nodes, new Set([Q]), { region: 'us-east' }).map((p) => p.provider),
    ).toEqual([Q]);
  });

  it('given a filter by class or label, then both match', () => {
    expect(summarizeCapacity(nodes, new Set([P, Q]), { gpuProduct: 'L40S' })).toHaveLength(1);
    expect(summarizeCapacity(nodes, new Set([P, Q]), { gpuProduct: 'NVIDIA-L40S' })).toHaveLength(
      1,
    );
  });

  it('given more allocated than allocatable, then free is zero, never negative', () => {
    expect(summarizeCapacity(nodes, new Set([P]), { region: 'eu-west' })[0]).toMatchObject({
      freeGpus: 0,
    });
  });
});
