import type * as k8s from '@kubernetes/client-node';
import { GPU_RESOURCE, NodeAnnotations } from '@starminer/node-identity';
import { type NodeObservation } from '../../domain/node';

function count(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const n = Number(q);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The registry's view of a Kubernetes Node plus the GPUs its pods hold. */
export function observeNode(
  region: string,
  node: k8s.V1Node,
  allocatedGpus: number,
): NodeObservation {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  const heartbeat = ready?.lastHeartbeatTime;
  return {
    region,
    name: node.metadata?.name ?? '',
    uid: node.metadata?.uid ?? '',
    labels: node.metadata?.labels ?? {},
    signature: node.metadata?.annotations?.[NodeAnnotations.signature],
    capacityGpus: count(node.status?.capacity?.[GPU_RESOURCE]),
    allocatableGpus: count(node.status?.allocatable?.[GPU_RESOURCE]),
    allocatedGpus,
    ready: status,
    lastHeartbeat: heartbeat ? new Date(heartbeat) : undefined,
    cordoned: node.spec?.unschedulable === true,
  };
}
