import {
  GPU_CATALOGUE,
  GPU_CLASSES,
  canonicalProductLabel,
  classesWithVram,
  gpuClassOfProduct,
  resolveGpuClass,
} from './catalogue';

describe('GPU catalogue', () => {
  it.each([
    ['NVIDIA-H100-80GB-HBM3', 'H100-80GB'],
    ['NVIDIA-A100-SXM4-80GB', 'A100-80GB'],
    ['NVIDIA-A100-SXM4-40GB', 'A100-40GB'],
    ['NVIDIA-L40S', 'L40S'],
    ['NVIDIA-GeForce-RTX-4090', 'RTX-4090'],
  ])('maps the feature discovery label %s to %s', (label, gpuClass) => {
    expect(gpuClassOfProduct(label)).toBe(gpuClass);
  });

  it.each(['NVIDIA-H200-141GB', 'nvidia-l40s', 'H100', '', 'NVIDIA-A100'])(
    'maps the unlisted label "%s" to unknown instead of guessing',
    (label) => {
      expect(gpuClassOfProduct(label)).toBe('unknown');
    },
  );

  it('accepts a canonical class name or a product label where a client names a class', () => {
    expect(resolveGpuClass('L40S')).toBe('L40S');
    expect(resolveGpuClass('NVIDIA-L40S')).toBe('L40S');
    expect(resolveGpuClass('B200')).toBe('unknown');
  });

  it('gives each class a canonical label that maps back to it, and no label to two classes', () => {
    const labels = GPU_CLASSES.flatMap((c) => GPU_CATALOGUE[c].productLabels);
    expect(new Set(labels).size).toBe(labels.length);
    for (const c of GPU_CLASSES) expect(gpuClassOfProduct(canonicalProductLabel(c))).toBe(c);
  });

  it('lists the classes with enough memory, fastest first', () => {
    expect(classesWithVram(80_000)).toEqual(['H100-80GB', 'A100-80GB']);
    expect(classesWithVram(45_000)).toEqual(['H100-80GB', 'L40S', 'A100-80GB']);
    expect(classesWithVram(200_000)).toEqual([]);
  });
});
