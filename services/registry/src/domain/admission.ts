import { GPU_CATALOGUE, type GpuClass, gpuClassOfProduct } from '@starminer/gpu-catalogue';
import { NodeLabels } from '@starminer/node-identity';
import { type NodeObservation } from './node';

/** What a node claims through its labels, once they are consistent with its capacity. */
export interface NodeClaim {
  provider: string;
  pool: string;
  gpuProduct: string;
  gpuClass: GpuClass;
  gpuMemoryMiB: number;
  capacityGpus: number;
  allocatableGpus: number;
}

export type RejectionReason =
  | 'MissingLabels'
  | 'InvalidLabels'
  | 'WrongRegion'
  | 'LabelsContradictCapacity'
  | 'MissingSignature'
  | 'MalformedSignature'
  | 'BadSignature'
  | 'ProviderNotRegistered'
  | 'InsufficientStake'
  | 'ProviderSlashed'
  | 'ProviderUnverifiable';

export type Verdict = { ok: true } | { ok: false; reason: RejectionReason; message: string };

export type ClaimResult =
  | { ok: true; claim: NodeClaim; warnings: string[] }
  | { ok: false; reason: RejectionReason; message: string; partial: Partial<NodeClaim> };

const ADDRESS = /^0x[0-9a-f]{40}$/;
const POOL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Reads a node's claim from its labels and checks it against what the device plugin reports:
 * the region label names this cluster, the provider is a lower-case address, the GPU count
 * label equals capacity nvidia.com/gpu, and a catalogued product reports its catalogued memory.
 * An uncatalogued product is accepted as `unknown` with a warning, never guessed.
 */
export function readClaim(obs: NodeObservation): ClaimResult {
  const l = obs.labels;
  const provider = l[NodeLabels.provider] ?? '';
  const pool = l[NodeLabels.pool] ?? '';
  const gpuProduct = l[NodeLabels.gpuProduct] ?? '';
  const gpuClass = gpuClassOfProduct(gpuProduct);
  const memory = Number(l[NodeLabels.gpuMemory] ?? NaN);
  const partial: Partial<NodeClaim> = {
    provider,
    pool,
    gpuProduct,
    gpuClass,
    ...(Number.isInteger(memory) ? { gpuMemoryMiB: memory } : {}),
    capacityGpus: obs.capacityGpus ?? 0,
    allocatableGpus: obs.allocatableGpus ?? 0,
  };
  const reject = (reason: RejectionReason, message: string): ClaimResult => ({
    ok: false,
    reason,
    message,
    partial,
  });

  const missing = [
    NodeLabels.region,
    NodeLabels.provider,
    NodeLabels.pool,
    NodeLabels.gpuProduct,
    NodeLabels.gpuMemory,
  ].filter((k) => !l[k]);
  if (missing.length > 0) return reject('MissingLabels', `missing labels: ${missing.join(', ')}`);
  if (l[NodeLabels.region] !== obs.region)
    return reject(
      'WrongRegion',
      `label ${NodeLabels.region}=${l[NodeLabels.region]} but the node is in the ${obs.region} cluster`,
    );
  if (!ADDRESS.test(provider))
    return reject(
      'InvalidLabels',
      `label ${NodeLabels.provider}='${provider}' is not a lower-case 0x-prefixed 20-byte address`,
    );
  if (!POOL.test(pool))
    return reject(
      'InvalidLabels',
      `label ${NodeLabels.pool}='${pool}' is not a DNS label (lower-case letters, digits, '-')`,
    );
  if (!Number.isInteger(memory) || memory <= 0)
    return reject(
      'InvalidLabels',
      `label ${NodeLabels.gpuMemory}='${l[NodeLabels.gpuMemory]}' is not a positive whole number of MiB`,
    );
  if (obs.capacityGpus === undefined || obs.capacityGpus <= 0)
    return reject(
      'LabelsContradictCapacity',
      `the node is labelled with GPU product ${gpuProduct} but advertises no nvidia.com/gpu capacity`,
    );
  const countLabel = l[NodeLabels.gpuCount];
  if (countLabel !== undefined && Number(countLabel) !== obs.capacityGpus)
    return reject(
      'LabelsContradictCapacity',
      `label ${NodeLabels.gpuCount}=${countLabel} but capacity nvidia.com/gpu is ${obs.capacityGpus}`,
    );
  const allocatable = obs.allocatableGpus ?? 0;
  if (allocatable > obs.capacityGpus)
    return reject(
      'LabelsContradictCapacity',
      `allocatable nvidia.com/gpu ${allocatable} exceeds capacity ${obs.capacityGpus}`,
    );
  const warnings: string[] = [];
  if (gpuClass === 'unknown') {
    warnings.push(`GPU product '${gpuProduct}' is not in the catalogue: accepted as unknown`);
  } else if (GPU_CATALOGUE[gpuClass].vramMiB !== memory) {
    return reject(
      'LabelsContradictCapacity',
      `label ${NodeLabels.gpuMemory}=${memory} MiB but a ${gpuClass} (${gpuProduct}) has ${GPU_CATALOGUE[gpuClass].vramMiB} MiB`,
    );
  }
  return {
    ok: true,
    claim: {
      provider,
      pool,
      gpuProduct,
      gpuClass,
      gpuMemoryMiB: memory,
      capacityGpus: obs.capacityGpus,
      allocatableGpus: allocatable,
    },
    warnings,
  };
}

/** What the registry knows of the claimed provider when it assesses a node. */
export type ProviderStanding =
  | { active: true }
  | {
      active: false;
      reason: 'NotRegistered' | 'InsufficientStake' | 'SlashPending' | 'Unverifiable';
      message: string;
    };

const providerReasons = {
  NotRegistered: 'ProviderNotRegistered',
  InsufficientStake: 'InsufficientStake',
  SlashPending: 'ProviderSlashed',
  Unverifiable: 'ProviderUnverifiable',
} as const;

/** Verdict over a node whose labels are consistent: signature first, then the provider's standing. */
export function assessNode(signature: Verdict, provider: ProviderStanding): Verdict {
  if (!signature.ok) return signature;
  if (!provider.active)
    return { ok: false, reason: providerReasons[provider.reason], message: provider.message };
  return { ok: true };
}
