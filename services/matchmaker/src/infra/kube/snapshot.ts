import type * as k8s from '@kubernetes/client-node';
import { type KubeJobSnapshot } from '../../domain/kube-observation';

const iso = (t: Date | string | undefined): string | undefined =>
  t === undefined ? undefined : typeof t === 'string' ? t : t.toISOString();

/**
 * Reduces a Kubernetes Job and its newest pod to the plain snapshot the domain reads.
 * `placedNode` is the node the attempt was matched to (every pod of it is pinned there).
 */
export function snapshotOf(
  job: k8s.V1Job,
  pods: k8s.V1Pod[],
  nodeExists: (name: string) => boolean,
  placedNode?: string,
): KubeJobSnapshot {
  const cond = (type: string) =>
    job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = cond('Failed');
  const pod = [...pods].sort((a, b) =>
    (iso(b.metadata?.creationTimestamp) ?? '').localeCompare(
      iso(a.metadata?.creationTimestamp) ?? '',
    ),
  )[0];
  const cs = pod?.status?.containerStatuses?.[0];
  const disruption = pod?.status?.conditions?.find(
    (c) => c.type === 'DisruptionTarget' && c.status === 'True',
  );
  const node = pod?.spec?.nodeName;
  const where = node ?? placedNode;
  return {
    complete: !!cond('Complete'),
    failedReason: failed?.reason,
    failedMessage: failed?.message,
    placedNode,
    nodeGone: !!where && !nodeExists(where),
    pod: pod && {
      name: pod.metadata!.name!,
      node,
      phase: pod.status?.phase ?? 'Pending',
      disrupted: !!disruption,
      disruptionReason: disruption?.reason,
      startedAt: iso(cs?.state?.running?.startedAt ?? cs?.state?.terminated?.startedAt),
      finishedAt: iso(cs?.state?.terminated?.finishedAt),
      exitCode: cs?.state?.terminated?.exitCode,
      terminatedReason: cs?.state?.terminated?.reason,
    },
  };
}
