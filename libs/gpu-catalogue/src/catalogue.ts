/**
 * GPU classes StarMiner prices and matches. A class is the canonical name of one GPU product
 * (memory size included: an A100 with 40 GB and one with 80 GB are different classes). Nodes
 * report the NVIDIA GPU feature discovery label `nvidia.com/gpu.product`; `gpuClassOfProduct`
 * maps it to a class. A label not listed here is `unknown`: never guessed from a substring,
 * since a wrong class would misprice and mismatch jobs.
 */
export const GPU_CLASSES = ['H100-80GB', 'A100-80GB', 'A100-40GB', 'L40S', 'RTX-4090'] as const;

export type KnownGpuClass = (typeof GPU_CLASSES)[number];
export type GpuClass = KnownGpuClass | 'unknown';

export interface GpuClassInfo {
  name: KnownGpuClass;
  /** Memory per GPU in MiB, as GPU feature discovery reports it (`nvidia.com/gpu.memory`). */
  vramMiB: number;
  /**
   * Throughput relative to an H100-80GB, in basis points (10 000 = H100). A coarse figure for
   * dense FP16/BF16 work, used to rank classes and set default prices, not to meter jobs.
   */
  relativePerformanceBps: number;
  family: 'hopper' | 'ampere' | 'ada-lovelace';
  /** GPU feature discovery product labels of this class; the first is the canonical one. */
  productLabels: readonly [string, ...string[]];
}

export const GPU_CATALOGUE: Readonly<Record<KnownGpuClass, GpuClassInfo>> = {
  'H100-80GB': {
    name: 'H100-80GB',
    vramMiB: 81559,
    relativePerformanceBps: 10_000,
    family: 'hopper',
    productLabels: ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-SXM5-80GB', 'NVIDIA-H100-PCIe'],
  },
  'A100-80GB': {
    name: 'A100-80GB',
    vramMiB: 81920,
    relativePerformanceBps: 3_200,
    family: 'ampere',
    productLabels: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe'],
  },
  'A100-40GB': {
    name: 'A100-40GB',
    vramMiB: 40960,
    relativePerformanceBps: 3_000,
    family: 'ampere',
    productLabels: ['NVIDIA-A100-SXM4-40GB', 'NVIDIA-A100-PCIE-40GB'],
  },
  L40S: {
    name: 'L40S',
    vramMiB: 46068,
    relativePerformanceBps: 3_700,
    family: 'ada-lovelace',
    productLabels: ['NVIDIA-L40S'],
  },
  'RTX-4090': {
    name: 'RTX-4090',
    vramMiB: 24564,
    relativePerformanceBps: 1_700,
    family: 'ada-lovelace',
    productLabels: ['NVIDIA-GeForce-RTX-4090'],
  },
};

const classByLabel: ReadonlyMap<string, KnownGpuClass> = new Map(
  GPU_CLASSES.flatMap((c) => GPU_CATALOGUE[c].productLabels.map((l) => [l, c] as const)),
);

export function isKnownGpuClass(name: string): name is KnownGpuClass {
  return (GPU_CLASSES as readonly string[]).includes(name);
}

/** Class of a GPU feature discovery product label (exact match), or `unknown`. */
export function gpuClassOfProduct(productLabel: string): GpuClass {
  return classByLabel.get(productLabel) ?? 'unknown';
}

/**
 * Class named by a client or an operator: a canonical class name or a product label.
 * `unknown` when it is neither.
 */
export function resolveGpuClass(nameOrLabel: string): GpuClass {
  if (isKnownGpuClass(nameOrLabel)) return nameOrLabel;
  return gpuClassOfProduct(nameOrLabel);
}

/** The canonical product label of a class (what a node of that class reports). */
export function canonicalProductLabel(gpuClass: KnownGpuClass): string {
  return GPU_CATALOGUE[gpuClass].productLabels[0];
}

/** Classes with at least `minVramMiB` per GPU, largest memory first then fastest. */
export function classesWithVram(minVramMiB: number): KnownGpuClass[] {
  return GPU_CLASSES.filter((c) => GPU_CATALOGUE[c].vramMiB >= minVramMiB).sort(
    (a, b) =>
      GPU_CATALOGUE[b].relativePerformanceBps - GPU_CATALOGUE[a].relativePerformanceBps ||
      a.localeCompare(b),
  );
}
