/**
 * What the matchmaker reads from a Kubernetes Job and its pod, reduced to plain data so the
 * interpretation is pure and testable. Times are RFC 3339 strings from the API server.
 */
export interface KubeJobSnapshot {
  /** Job conditions of type Complete/Failed with status True, with their reasons. */
  complete: boolean;
  failedReason?: string;
  failedMessage?: string;
  pod?: {
    name: string;
    node?: string;
    phase: string;
    /** The pod has a DisruptionTarget condition (eviction, pod GC of a lost node, preemption). */
    disrupted: boolean;
    disruptionReason?: string;
    startedAt?: string;
    finishedAt?: string;
    exitCode?: number;
    terminatedReason?: string;
  };
  /**
   * The node the attempt was placed on (its pods are pinned there by hostname), when known.
   * A lost node is noticed through it even when the pod that ran there has been garbage
   * collected and the Job controller's replacement waits, unschedulable, for a node that is gone.
   */
  placedNode?: string;
  /** The node the pod was bound to, or else the node the attempt was placed on, is gone. */
  nodeGone: boolean;
}

export type KubeObservation =
  | { kind: 'pending' }
  | { kind: 'running'; podName: string; node: string; startedAt: string }
  | { kind: 'succeeded'; startedAt?: string; finishedAt?: string }
  | {
      kind: 'failed';
      blame: 'workload' | 'node';
      reason: string;
      message: string;
      exitCode: number;
      startedAt?: string;
      finishedAt?: string;
    }
  | { kind: 'timedOut'; startedAt?: string; finishedAt?: string }
  | { kind: 'nodeLost'; node: string; message: string; startedAt?: string; finishedAt?: string };

/** Interprets one Job snapshot: the Job's own conditions win over its pod's phase. */
export function observe(s: KubeJobSnapshot): KubeObservation {
  const p = s.pod;
  const times = { startedAt: p?.startedAt, finishedAt: p?.finishedAt };
  if (s.complete) return { kind: 'succeeded', ...times };
  if (s.failedReason === 'DeadlineExceeded') return { kind: 'timedOut', ...times };
  if (p?.disrupted || (s.nodeGone && (p?.node ?? s.placedNode))) {
    const node = p?.node ?? s.placedNode ?? '';
    return {
      kind: 'nodeLost',
      node,
      message:
        p?.disrupted && p.disruptionReason
          ? `pod disrupted: ${p.disruptionReason}`
          : `node ${node} left the cluster`,
      ...times,
    };
  }
  if (s.failedReason) {
    const exitCode = p?.exitCode ?? 0;
    return {
      kind: 'failed',
      blame:
        exitCode > 0 ||
        s.failedReason === 'BackoffLimitExceeded' ||
        s.failedReason === 'PodFailurePolicy'
          ? 'workload'
          : 'node',
      reason: exitCode > 0 ? 'ExitCode' : s.failedReason,
      message: s.failedMessage ?? '',
      exitCode,
      ...times,
    };
  }
  if (p?.phase === 'Running' && p.node && p.startedAt) {
    return { kind: 'running', podName: p.name, node: p.node, startedAt: p.startedAt };
  }
  if (p?.phase === 'Failed' && !p.disrupted && (p.exitCode ?? 0) > 0) {
    // The Job controller marks the Job Failed a moment later; the pod already says why.
    return {
      kind: 'failed',
      blame: 'workload',
      reason: 'ExitCode',
      message: p.terminatedReason ?? 'Error',
      exitCode: p.exitCode!,
      ...times,
    };
  }
  if (p?.phase === 'Succeeded') return { kind: 'succeeded', ...times };
  return { kind: 'pending' };
}

/**
 * GPU-seconds from the container's start to its end (epoch ms; the end is "now" while it still
 * runs), in whole seconds as the API server reports times, times the GPUs held.
 */
export function meteredGpuSeconds(
  gpus: number,
  startMs: number | undefined,
  endMs: number | undefined,
): bigint {
  if (startMs === undefined || endMs === undefined) return 0n;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return 0n;
  return BigInt(gpus) * BigInt(Math.floor((endMs - startMs) / 1000));
}
