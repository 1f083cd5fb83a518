/**
 * Kubernetes keys StarMiner puts on a GPU node. The node operator's join step writes the identity
 * ones; the registry writes the admission ones.
 */
export const NodeLabels = {
  region: 'starminer.io/region',
  pool: 'starminer.io/pool',
  provider: 'starminer.io/provider',
  /**
   * The deployment the node joins (`deploymentNodeLabel`). On a cluster several deployments
   * share, a registry leaves alone the nodes labelled for another deployment; a node without it
   * belongs to whichever deployment's registry watches the cluster.
   */
  deployment: 'starminer.io/deployment',
  gpuProduct: 'nvidia.com/gpu.product',
  gpuMemory: 'nvidia.com/gpu.memory',
  gpuCount: 'nvidia.com/gpu.count',
} as const;

export const NodeAnnotations = {
  /** EIP-191 signature by the provider key over the node identity message (0x, 65 bytes). */
  signature: 'starminer.io/node-signature',
  /** Version of the identity message the signature covers. */
  identityVersion: 'starminer.io/node-identity-version',
  /** Written by the registry: admitted | rejected | quarantined. */
  admission: 'starminer.io/admission',
  /** Written by the registry: why a node is rejected or quarantined. */
  admissionReason: 'starminer.io/admission-reason',
} as const;

/** Extended resource the NVIDIA device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/**
 * Taint the registry puts on a node that does not count as capacity (rejected or quarantined).
 * Jobs tolerate only the GPU taint (nvidia.com/gpu=present:NoSchedule), never this one, so
 * nothing is scheduled onto a node the registry has not admitted. The value is the reason.
 */
export const NOT_ADMITTED_TAINT_KEY = 'starminer.io/not-admitted';

/**
 * Label value naming a deployment (one contract set on one chain): "<chain id>-<JobEscrow address
 * without 0x, lower case>", 46 characters at most for a 40-hex address, within Kubernetes' 63.
 */
export function deploymentNodeLabel(d: {
  chainId: number;
  contracts: { jobEscrow: string };
}): string {
  return `${d.chainId}-${d.contracts.jobEscrow.toLowerCase().replace(/^0x/, '')}`;
}
