import { type NodeEvent } from '@starminer/eventing';
import { type ClaimResult, type Verdict } from './admission';
import { type NodeObservation, type NodeRecord, type NodeStatus } from './node';

/** What happened to a node since the registry last looked at it. */
export type NodeInput =
  | { kind: 'observed'; obs: NodeObservation; claim: ClaimResult; verdict: Verdict }
  /** The node object is gone from the cluster (deleted, or it no longer claims a provider). */
  | { kind: 'gone'; region: string; name: string; reason: string };

export interface NodeDecision {
  next: NodeRecord | undefined;
  events: NodeEvent[];
  /** Whether the record differs from the stored one in anything worth a write. */
  persist: boolean;
}

/** Heartbeats are stored at most this often unless something else changed: a heartbeat alone is no news. */
export const HEARTBEAT_PERSIST_MS = 60_000;

function gpusOf(r: Pick<NodeRecord, 'gpuProduct' | 'allocatableGpus' | 'gpuMemoryMiB'>) {
  return { product: r.gpuProduct, count: r.allocatableGpus, memoryMib: r.gpuMemoryMiB };
}

function ids(r: Pick<NodeRecord, 'region' | 'name' | 'provider' | 'pool'>) {
  return { region: r.region, node: r.name, provider: r.provider, pool: r.pool };
}

function sameCapacity(a: NodeRecord, b: NodeRecord): boolean {
  return (
    a.allocatableGpus === b.allocatableGpus &&
    a.capacityGpus === b.capacityGpus &&
    a.pool === b.pool &&
    a.gpuProduct === b.gpuProduct &&
    a.gpuMemoryMiB === b.gpuMemoryMiB
  );
}

function material(prev: NodeRecord | undefined, next: NodeRecord): boolean {
  if (!prev) return true;
  const { updatedAt: _u1, lastHeartbeat: h1, ...a } = prev;
  const { updatedAt: _u2, lastHeartbeat: h2, ...b } = next;
  if (JSON.stringify(a) !== JSON.stringify(b)) return true;
  if (!h1 || !h2) return h1 !== h2;
  return h2.getTime() - h1.getTime() >= HEARTBEAT_PERSIST_MS;
}

/**
 * The node state machine. A node that has never counted is `rejected` until every check passes,
 * then it joins (NodeJoined). A node that counted and then fails a check, goes NotReady or loses
 * its provider's standing is `quarantined` (NodeQuarantined) until it is healthy again
 * (NodeRecovered). A counted node that disappears leaves (NodeLeft); a rejected one simply goes.
 */
export function decideNode(
  prev: NodeRecord | undefined,
  input: NodeInput,
  now: Date,
): NodeDecision {
  if (input.kind === 'gone') {
    if (!prev) return { next: undefined, events: [], persist: false };
    const events: NodeEvent[] =
      prev.status === 'rejected' ? [] : [{ type: 'NodeLeft', ...ids(prev), reason: input.reason }];
    return { next: undefined, events, persist: true };
  }

  const { obs, claim, verdict } = input;
  const events: NodeEvent[] = [];
  let base = prev;
  if (prev && prev.uid !== obs.uid) {
    // Same name, new object: the old node left and this one asks to join afresh.
    if (prev.status !== 'rejected')
      events.push({ type: 'NodeLeft', ...ids(prev), reason: 'Replaced' });
    base = undefined;
  }

  const c = claim.ok ? claim.claim : claim.partial;
  const failure = !claim.ok ? claim : !verdict.ok ? verdict : undefined;
  const ready = obs.ready === 'True';
  const draft: Omit<NodeRecord, 'status' | 'reason' | 'message' | 'verified' | 'version'> = {
    region: obs.region,
    name: obs.name,
    uid: obs.uid,
    provider: c.provider ?? '',
    pool: c.pool ?? '',
    gpuProduct: c.gpuProduct ?? '',
    gpuClass: c.gpuClass ?? 'unknown',
    gpuMemoryMiB: c.gpuMemoryMiB ?? 0,
    capacityGpus: obs.capacityGpus ?? 0,
    allocatableGpus: obs.allocatableGpus ?? 0,
    allocatedGpus: obs.allocatedGpus,
    ready,
    cordoned: obs.cordoned,
    lastHeartbeat: obs.lastHeartbeat,
    updatedAt: now,
  };

  let status: NodeStatus;
  let reason = '';
  let message = '';
  const counted = base !== undefined && base.status !== 'rejected';
  if (!counted) {
    if (failure) {
      status = 'rejected';
      reason = failure.reason;
      message = failure.message;
      if (!base || base.reason !== reason || base.provider !== draft.provider)
        events.push({
          type: 'NodeRejected',
          region: obs.region,
          node: obs.name,
          provider: draft.provider,
          reason,
          message,
        });
    } else {
      events.push({ type: 'NodeJoined', ...ids(draft), gpus: gpusOf(draft) });
      status = ready ? 'admitted' : 'quarantined';
      if (!ready) {
        reason = 'NotReady';
        message = `the node's Ready condition is ${obs.ready}`;
        events.push({ type: 'NodeQuarantined', ...ids(draft), reason, message });
      }
    }
  } else {
    const was = base!;
    const sick =
      failure ??
      (ready
        ? undefined
        : { reason: 'NotReady', message: `the node's Ready condition is ${obs.ready}` });
    const draftRecord = { ...was, ...draft };
    if (!sameCapacity(was, draftRecord))
      events.push({
        type: 'NodeCapacityChanged',
        ...ids(draft),
        previous: gpusOf(was),
        current: gpusOf(draft),
      });
    if (sick) {
      status = 'quarantined';
      reason = sick.reason;
      message = sick.message;
      if (was.status === 'admitted' || was.reason !== reason)
        events.push({ type: 'NodeQuarantined', ...ids(draft), reason, message });
    } else {
      status = 'admitted';
      if (was.status === 'quarantined') events.push({ type: 'NodeRecovered', ...ids(draft) });
    }
  }

  const next: NodeRecord = {
    ...draft,
    status,
    reason,
    message,
    verified: claim.ok && verdict.ok,
    version: (prev?.version ?? 0) + events.length,
  };
  return { next, events, persist: events.length > 0 || material(prev, next) };
}

/** Value of the not-admitted taint a node should carry: its reason, or undefined when admitted. */
export function desiredTaint(record: NodeRecord): string | undefined {
  return record.status === 'admitted' ? undefined : record.reason || record.status;
}
