import { type EventEnvelope, type JobEvent, type NodeEvent } from '@starminer/eventing';
import { gpuClassOfProduct, resolveGpuClass } from '@starminer/gpu-catalogue';
import { commonV1 } from '@starminer/proto';
import { type SignalEvent } from '../domain/signal-events';
import { type Urgency } from '../domain/tier';

const URGENCY: Partial<Record<commonV1.Urgency, Urgency>> = {
  [commonV1.Urgency.URGENCY_LOW]: 'low',
  [commonV1.Urgency.URGENCY_NORMAL]: 'normal',
  [commonV1.Urgency.URGENCY_HIGH]: 'high',
  [commonV1.Urgency.URGENCY_CRITICAL]: 'critical',
};

export const PROTO_URGENCY: Record<Urgency, commonV1.Urgency> = {
  low: commonV1.Urgency.URGENCY_LOW,
  normal: commonV1.Urgency.URGENCY_NORMAL,
  high: commonV1.Urgency.URGENCY_HIGH,
  critical: commonV1.Urgency.URGENCY_CRITICAL,
};

export function urgencyOf(u: commonV1.Urgency): Urgency | undefined {
  return URGENCY[u];
}

type Relevant =
  | 'NodeJoined'
  | 'NodeCapacityChanged'
  | 'NodeQuarantined'
  | 'NodeRecovered'
  | 'NodeLeft'
  | 'JobQueued'
  | 'JobMatched'
  | 'JobRerouted'
  | 'JobSucceeded'
  | 'JobFailed'
  | 'JobTimedOut'
  | 'JobCancelled'
  | 'JobExpired';

/** Node events are keyed by "<region>/<node>"; the same key identifies the node here. */
const nodeKey = (region: string, node: string) => `${region}/${node}`;

/**
 * The signal a registry or job event carries for pricing, or undefined for events that do not
 * move supply or demand (submissions, quotes, settlements, rejected nodes...). Product labels go
 * through the GPU catalogue; an unknown product becomes class `unknown`, which is never priced.
 */
export function toSignal(env: EventEnvelope<JobEvent | NodeEvent>): SignalEvent | undefined {
  const at = env.occurredAt.getTime();
  // The catalogue's unions also admit the untyped base event; narrow to the concrete ones.
  const e = env.event as Extract<JobEvent | NodeEvent, { type: Relevant }>;
  switch (e.type) {
    case 'NodeJoined':
    case 'NodeCapacityChanged': {
      const gpus = e.type === 'NodeJoined' ? e.gpus : e.current;
      return {
        kind: 'node-up',
        at,
        node: nodeKey(e.region, e.node),
        region: e.region,
        gpuClass: gpuClassOfProduct(gpus?.product ?? ''),
        gpus: gpus?.count ?? 0,
        vramMiB: gpus?.memoryMib ?? 0,
      };
    }
    case 'NodeQuarantined':
      return { kind: 'node-down', at, node: nodeKey(e.region, e.node) };
    case 'NodeRecovered':
      return { kind: 'node-restored', at, node: nodeKey(e.region, e.node) };
    case 'NodeLeft':
      return { kind: 'node-removed', at, node: nodeKey(e.region, e.node) };
    case 'JobQueued': {
      const urgency =
        urgencyOf(e.tier?.urgency ?? commonV1.Urgency.URGENCY_UNSPECIFIED) ?? 'normal';
      return {
        kind: 'job-queued',
        at,
        jobId: e.jobId,
        region: e.tier?.region ?? '',
        gpuClass: resolveGpuClass(e.tier?.gpuProduct || e.gpu?.product || ''),
        urgency,
        gpus: e.gpu?.count ?? 0,
      };
    }
    case 'JobMatched':
      return {
        kind: 'job-matched',
        at,
        jobId: e.jobId,
        region: e.placement?.region ?? '',
        gpuClass: resolveGpuClass(e.gpu?.product ?? ''),
        gpus: e.gpu?.count ?? 0,
        ...(e.node ? { node: nodeKey(e.placement?.region ?? '', e.node) } : {}),
      };
    case 'JobRerouted':
      return { kind: 'job-rerouted', at, jobId: e.jobId, region: e.toRegion };
    case 'JobSucceeded':
    case 'JobFailed':
    case 'JobTimedOut':
      return { kind: 'job-ended', at, jobId: e.jobId, outcome: 'finished' };
    case 'JobCancelled':
      return { kind: 'job-ended', at, jobId: e.jobId, outcome: 'cancelled' };
    case 'JobExpired':
      return { kind: 'job-ended', at, jobId: e.jobId, outcome: 'unfilled' };
    default:
      return undefined;
  }
}
