import { type Pool } from 'pg';
import {
  type EventEnvelope,
  type JobEvent,
  type NodeEvent,
  type Tx,
  withTransaction,
} from '@starminer/eventing';
import { leaveUnservedRegions, withinServedRegions } from '../../domain/served-regions';
import { type EngineRepository } from '../../infra/engine-repository';
import { toSignal } from '../../infra/event-mapping';

/**
 * Consumer handler for node and job events: records the pricing signal an event carries in the
 * engine's input log, inside the consumer's transaction (with its inbox row). Prices change only
 * at the next tick, so every event of an interval is weighed together. Only the regions this
 * deployment serves are a market here: a job moving elsewhere leaves it.
 */
export class RecordSignalHandler {
  constructor(
    private readonly engine: EngineRepository,
    private readonly served: ReadonlySet<string>,
  ) {}

  async handle(envelope: EventEnvelope<JobEvent | NodeEvent>, tx: Tx): Promise<void> {
    const signal = toSignal(envelope);
    const recorded = signal && withinServedRegions(signal, this.served);
    if (recorded) await this.engine.append(tx, recorded, envelope.eventId);
  }

  /**
   * Takes the nodes and jobs of regions no longer served (dropped from the regions file since
   * they were recorded) off the market, as entries of the input log, so replays agree. Returns
   * how many entries it recorded.
   */
  async leaveUnservedRegions(pool: Pool, nowMs: number): Promise<number> {
    return withTransaction(pool, async (tx) => {
      await this.engine.lockLog(tx);
      const { state } = await this.engine.load(tx);
      const entries = leaveUnservedRegions(state.signals, this.served, nowMs);
      for (const entry of entries) await this.engine.append(tx, entry);
      return entries.length;
    });
  }
}
