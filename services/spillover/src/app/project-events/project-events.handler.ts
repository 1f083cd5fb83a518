import {
  type EventEnvelope,
  type JobEvent,
  type MarketEvent,
  type NodeEvent,
} from '@starminer/eventing';
import { type LatencyNeed } from '../../domain/routing-types';
import { type JobChange, type RoutingProjection } from '../ports';

export type ConsumedEvent = JobEvent | NodeEvent | MarketEvent;

const amount = (a: { baseUnits: string } | undefined): bigint => BigInt(a?.baseUnits || '0');

/** Job events that end a job: it waits no more and holds no GPUs. */
const ENDING = new Set([
  'JobSucceeded',
  'JobFailed',
  'JobTimedOut',
  'JobCancelled',
  'JobExpired',
  'JobSettled',
]);

/**
 * Projects consumed events into spillover's read model, through a projection bound to the
 * consumer's transaction (with the inbox row): which jobs wait where, on which funded tier; which
 * nodes exist with how many GPUs; tier prices. `changed` is called after each event so the
 * planner runs soon.
 */
export class ProjectEventsHandler {
  constructor(private readonly changed: () => void) {}

  async apply(env: EventEnvelope<ConsumedEvent>, model: RoutingProjection): Promise<void> {
    await this.project(env, model);
    this.changed();
  }

  private async project(
    env: EventEnvelope<ConsumedEvent>,
    model: RoutingProjection,
  ): Promise<void> {
    const e = env.event;
    const v = env.aggregateVersion;
    const job = (c: JobChange) => model.changeJob(env.aggregateId, v, c);
    switch (e.type) {
      case 'JobSubmitted': {
        const mode = e.spec?.latency?.mode;
        const latency: LatencyNeed =
          mode?.$case === 'interactive'
            ? {
                mode: 'interactive',
                clientRegion: mode.value.clientRegion,
                maxRttMs: mode.value.maxRttMs,
              }
            : { mode: 'batch' };
        return model.insertJob(
          {
            jobId: e.jobId,
            gpus: e.spec?.gpu?.count ?? 1,
            minVramMiB: e.spec?.gpu?.minVramMib ?? 0,
            urgency: e.spec?.urgency || 2,
            latency,
          },
          v,
        );
      }
      case 'JobQuoted':
        return job({
          status: 'Quoted',
          product: e.tier?.gpuProduct ?? '',
          quoteRegion: e.tier?.region ?? '',
          region: e.tier?.region ?? '',
          quotePrice: amount(e.pricePerGpuSecond),
        });
      case 'JobFunded':
        return job({ status: 'Funded' });
      case 'JobQueued':
        return job({
          status: 'Queued',
          region: e.tier?.region ?? '',
          waitingSince: env.occurredAt,
          hold: null,
        });
      case 'JobOverflowed':
        return job({ status: 'Overflowed' });
      case 'JobRerouted':
        return job({ status: 'Rerouted', region: e.toRegion, routingNote: '' });
      case 'JobRoutingBlocked':
        return job({ routingNote: e.reason });
      case 'JobMatched':
        return job({
          status: 'Matched',
          routingNote: '',
          hold: {
            region: e.placement?.region ?? '',
            node: e.node || e.placement?.node || '',
            gpus: e.gpu?.count ?? 1,
          },
        });
      case 'JobDispatched':
        return job({ status: 'Dispatched' });
      case 'JobStarted':
        return job({ status: 'Running' });
      case 'JobRerouteProposed':
        return; // spillover's own proposals: the matchmaker's JobRerouted is what counts
      case 'NodeJoined':
        return model.upsertNode({
          region: e.region,
          node: e.node,
          product: e.gpus?.product ?? '',
          memoryMiB: e.gpus?.memoryMib ?? 0,
          gpus: e.gpus?.count ?? 0,
        });
      case 'NodeCapacityChanged':
        return model.upsertNode({
          region: e.region,
          node: e.node,
          product: e.current?.product ?? '',
          memoryMiB: e.current?.memoryMib ?? 0,
          gpus: e.current?.count ?? 0,
        });
      case 'NodeQuarantined':
        return model.setQuarantined(e.region, e.node, true);
      case 'NodeRecovered':
        return model.setQuarantined(e.region, e.node, false);
      case 'NodeLeft':
        return model.deleteNode(e.region, e.node);
      case 'PriceUpdated':
        return model.setPrice(
          e.tier?.gpuProduct ?? '',
          e.tier?.region ?? '',
          e.tier?.urgency ?? 0,
          amount(e.pricePerGpuSecond),
        );
      default:
        if (ENDING.has(e.type)) return job({ status: e.type.slice(3), hold: null });
    }
  }
}
