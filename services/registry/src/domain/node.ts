import { type GpuClass } from '@starminer/gpu-catalogue';

/** What the registry sees of one Kubernetes node (plus the GPUs its pods hold), at one moment. */
export interface NodeObservation {
  region: string;
  name: string;
  uid: string;
  labels: Readonly<Record<string, string>>;
  /** The provider's signature annotation, when present. */
  signature: string | undefined;
  /** Capacity and allocatable nvidia.com/gpu; undefined when the node does not advertise it. */
  capacityGpus: number | undefined;
  allocatableGpus: number | undefined;
  /** nvidia.com/gpu requested by pods bound to the node that have not finished. */
  allocatedGpus: number;
  ready: 'True' | 'False' | 'Unknown';
  lastHeartbeat: Date | undefined;
  cordoned: boolean;
}

export type NodeStatus = 'admitted' | 'rejected' | 'quarantined';

/** The registry's record of a node: what GetCapacity and ListNodes read. */
export interface NodeRecord {
  region: string;
  name: string;
  uid: string;
  provider: string;
  pool: string;
  gpuProduct: string;
  gpuClass: GpuClass;
  gpuMemoryMiB: number;
  capacityGpus: number;
  allocatableGpus: number;
  allocatedGpus: number;
  ready: boolean;
  cordoned: boolean;
  lastHeartbeat: Date | undefined;
  status: NodeStatus;
  /** '' when admitted. */
  reason: string;
  message: string;
  /** Signature checked and provider active when last assessed. */
  verified: boolean;
  /** Events published for this node so far: the aggregate version of the next one is version+1. */
  version: number;
  updatedAt: Date;
}

/** The id node events are keyed by (events/v1 node_events.proto). */
export function nodeKey(region: string, name: string): string {
  return `${region}/${name}`;
}
