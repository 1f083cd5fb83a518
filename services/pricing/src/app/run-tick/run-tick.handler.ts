import { type Clock } from '@starminer/service-kit';
import { canonicalProductLabel, type KnownGpuClass } from '@starminer/gpu-catalogue';
import { applyEntry, type PricePoint } from '../../domain/replay';
import { type PricingStrategy } from '../../domain/strategy';
import { parseTierKey } from '../../domain/tier';
import { PROTO_URGENCY } from '../event-mapping';
import { type MarketUnitOfWork, type NewMarketEvent } from '../ports';

/** PriceUpdated of one price set by `strategy`. */
function priceUpdated(p: PricePoint, strategy: string): NewMarketEvent {
  const t = parseTierKey(p.tier);
  const gpuProduct = canonicalProductLabel(t.gpuClass as KnownGpuClass);
  return {
    // PriceUpdated is keyed by "<gpu product>/<region>/<urgency>" (market_events.proto).
    aggregateId: `${gpuProduct}/${t.region}/${t.urgency}`,
    event: {
      type: 'PriceUpdated' as const,
      tier: { gpuProduct, region: t.region, urgency: PROTO_URGENCY[t.urgency] },
      previousPricePerGpuSecond: { baseUnits: p.previous.toString() },
      pricePerGpuSecond: { baseUnits: p.price.toString() },
      queuedGpus: p.queuedGpus,
      freeGpus: p.freeGpus,
      strategy,
    },
    meta: { occurredAt: new Date(p.at) },
  };
}

/**
 * One pricing interval: in one transaction, append a tick to the input log, run the strategy
 * on the state folded from the log, store the new prices and a snapshot, and write a
 * PriceUpdated per changed tier to the outbox. Either all of it commits or none of it.
 */
export class RunTickHandler {
  constructor(
    private readonly market: MarketUnitOfWork,
    private readonly strategy: PricingStrategy,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<PricePoint[]> {
    const tick = { kind: 'tick' as const, at: this.clock.nowMs() };
    return this.market.transact(async ({ log, index, events }) => {
      await log.lock();
      const { state } = await log.load();
      const seq = await log.append(tick);
      if (seq === undefined) throw new Error('tick was not appended');
      const { state: next, points } = applyEntry(this.strategy, state, tick);
      await log.saveSnapshot(seq, next);
      await index.record(seq, this.strategy.id, points);
      await events.publish(points.map((p) => priceUpdated(p, this.strategy.id)));
      return points;
    });
  }
}
