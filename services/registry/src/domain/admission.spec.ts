import { assessNode, readClaim } from './admission';
import { h100Node, provider } from '../../test/support/node-fixtures';

describe('readClaim', () => {
  it('given consistent labels, then the claim names the catalogue class', () => {
    expect(readClaim(h100Node())).toEqual({
      ok: true,
      warnings: [],
      claim: {
        provider,
        pool: 'h100-a',
        gpuProduct: 'NVIDIA-H100-80GB-HBM3',
        gpuClass: 'H100-80GB',
        gpuMemoryMiB: 81559,
        capacityGpus: 8,
        allocatableGpus: 8,
      },
    });
  });

  it.each([
    [
      {},
      { 'nvidia.com/gpu.count': '4' },
      'LabelsContradictCapacity',
      'nvidia.com/gpu.count=4 but capacity nvidia.com/gpu is 8',
    ],
    [
      {},
      { 'nvidia.com/gpu.memory': '40960' },
      'LabelsContradictCapacity',
      'a H100-80GB (NVIDIA-H100-80GB-HBM3) has 81559 MiB',
    ],
    [
      { capacityGpus: undefined },
      {},
      'LabelsContradictCapacity',
      'advertises no nvidia.com/gpu capacity',
    ],
    [
      { allocatableGpus: 9 },
      { 'nvidia.com/gpu.count': '8' },
      'LabelsContradictCapacity',
      'allocatable nvidia.com/gpu 9 exceeds capacity 8',
    ],
    [
      {},
      { 'starminer.io/region': 'eu-west' },
      'WrongRegion',
      'but the node is in the us-east cluster',
    ],
    [
      {},
      { 'starminer.io/provider': '0xABC' },
      'InvalidLabels',
      'is not a lower-case 0x-prefixed 20-byte address',
    ],
    [{}, { 'starminer.io/pool': '' }, 'MissingLabels', 'missing labels: starminer.io/pool'],
  ] as const)(
    'given %j and labels %j, then it is rejected: %s',
    (over, labels, reason, message) => {
      const r = readClaim(h100Node(over, labels));
      expect(r).toMatchObject({ ok: false, reason });
      expect(!r.ok && r.message).toContain(message);
    },
  );

  it('given an uncatalogued product, then it is accepted as unknown with a warning', () => {
    const r = readClaim(
      h100Node({}, { 'nvidia.com/gpu.product': 'NVIDIA-B200', 'nvidia.com/gpu.memory': '183359' }),
    );
    expect(r).toMatchObject({ ok: true, claim: { gpuClass: 'unknown', gpuMemoryMiB: 183359 } });
    expect(r.ok && r.warnings[0]).toContain("'NVIDIA-B200' is not in the catalogue");
  });
});

describe('assessNode', () => {
  it('given a bad signature, then that is the verdict whatever the provider', () => {
    const bad = { ok: false as const, reason: 'BadSignature' as const, message: 'm' };
    expect(assessNode(bad, { active: true })).toBe(bad);
  });

  it('given a good signature and a slashed provider, then ProviderSlashed', () => {
    expect(
      assessNode({ ok: true }, { active: false, reason: 'SlashPending', message: 'slashed' }),
    ).toEqual({
      ok: false,
      reason: 'ProviderSlashed',
      message: 'slashed',
    });
  });

  it('given a good signature and an active provider, then admitted', () => {
    expect(assessNode({ ok: true }, { active: true })).toEqual({ ok: true });
  });
});
