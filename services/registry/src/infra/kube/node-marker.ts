import * as k8s from '@kubernetes/client-node';
import { NodeAnnotations, NOT_ADMITTED_TAINT_KEY } from '@starminer/node-identity';
import { type NodeMark } from '../../app/ports';
import { type RegionClient, statusOf } from './kube-client';

function taintsWith(node: k8s.V1Node, taint: string | undefined): k8s.V1Taint[] {
  const others = (node.spec?.taints ?? []).filter((t) => t.key !== NOT_ADMITTED_TAINT_KEY);
  return taint === undefined
    ? others
    : [...others, { key: NOT_ADMITTED_TAINT_KEY, value: taint, effect: 'NoSchedule' }];
}

/** Whether the node already carries the mark: most reconciles need no write. */
export function hasMark(node: k8s.V1Node, mark: NodeMark): boolean {
  const a = node.metadata?.annotations ?? {};
  const current = node.spec?.taints?.find((t) => t.key === NOT_ADMITTED_TAINT_KEY);
  return (
    a[NodeAnnotations.admission] === mark.status &&
    (a[NodeAnnotations.admissionReason] ?? '') === mark.reason &&
    current?.value === mark.taint &&
    (mark.taint === undefined || current?.effect === 'NoSchedule')
  );
}

/**
 * Writes the admission verdict onto the node: annotations for people and tools, and the
 * not-admitted taint that keeps jobs off a node that does not count. The merge patch carries the
 * resourceVersion it was computed from, so a concurrent change of the taints (the node lifecycle
 * controller's unreachable taint) makes it fail with 409 instead of being overwritten.
 * Returns false on a conflict or when the node is gone; the next watch event brings it back.
 */
export async function markNode(
  client: RegionClient,
  node: k8s.V1Node,
  mark: NodeMark,
): Promise<boolean> {
  const body = {
    metadata: {
      resourceVersion: node.metadata?.resourceVersion,
      annotations: {
        [NodeAnnotations.admission]: mark.status,
        [NodeAnnotations.admissionReason]: mark.reason || null,
      },
    },
    spec: { taints: taintsWith(node, mark.taint) },
  };
  try {
    await client.core.patchNode(
      { name: node.metadata!.name!, body },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    return true;
  } catch (err) {
    const code = statusOf(err);
    if (code === 409 || code === 404) return false;
    throw err;
  }
}
