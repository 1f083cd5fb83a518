import { type Pool } from 'pg';
import { type MarketEvent, type OutboxPublisher, withTransaction } from '@starminer/eventing';
import { canonicalProductLabel, type KnownGpuClass } from '@starminer/gpu-catalogue';
import { applyEntry, type PricePoint } from '../../domain/replay';
import { type PricingStrategy } from '../../domain/strategy';
import { parseTierKey } from '../../domain/tier';
import { type EngineRepository } from '../../infra/engine-repository';
import { PROTO_URGENCY } from '../../infra/event-mapping';
import { type PriceIndexRepository } from '../../infra/price-index-repository';

/**
 * One pricing interval: in one transaction, append a tick to the input log, run the strategy
 * on the state folded from the log, store the new prices and a snapshot, and write a
 * PriceUpdated per changed tier to the outbox. Either all of it commits or none of it.
 */
export class RunTickHandler {
  constructor(
    private readonly pool: Pool,
    private readonly engine: EngineRepository,
    private readonly index: PriceIndexRepository,
    private readonly outbox: OutboxPublisher<MarketEvent>,
    private readonly strategy: PricingStrategy,
  ) {}

  async run(nowMs: number): Promise<PricePoint[]> {
    return withTransaction(this.pool, async (tx) => {
      await this.engine.lockLog(tx);
      const { state } = await this.engine.load(tx);
      const tick = { kind: 'tick' as const, at: nowMs };
      const seq = await this.engine.append(tx, tick);
      if (seq === undefined) throw new Error('tick was not appended');
      const { state: next, points } = applyEntry(this.strategy, state, tick);
      await this.engine.saveSnapshot(tx, seq, next);
      await this.index.record(tx, seq, this.strategy.id, points);
      await this.outbox.publish(
        tx,
        points.map((p) => {
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
              strategy: this.strategy.id,
            },
            meta: { occurredAt: new Date(p.at) },
          };
        }),
      );
      return points;
    });
  }
}
