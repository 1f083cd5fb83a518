import { type EventEnvelope, type JobEvent, type NodeEvent, type Tx } from '@starminer/eventing';
import { type EngineRepository } from '../../infra/engine-repository';
import { toSignal } from '../../infra/event-mapping';

/**
 * Consumer handler for node and job events: records the pricing signal an event carries in the
 * engine's input log, inside the consumer's transaction (with its inbox row). Prices change only
 * at the next tick, so every event of an interval is weighed together.
 */
export class RecordSignalHandler {
  constructor(private readonly engine: EngineRepository) {}

  async handle(envelope: EventEnvelope<JobEvent | NodeEvent>, tx: Tx): Promise<void> {
    const signal = toSignal(envelope);
    if (signal) await this.engine.append(tx, signal, envelope.eventId);
  }
}
