import { type EventEnvelope, type JobEvent, type NodeEvent } from '@starminer/eventing';
import { withinServedRegions } from '../../domain/served-regions';
import { toSignal } from '../event-mapping';
import { type SignalLog } from '../ports';

/**
 * Consumer handler for node and job events: records the pricing signal an event carries in the
 * engine's input log, inside the consumer's transaction (with its inbox row): `log` is bound to
 * that transaction. Prices change only at the next tick, so every event of an interval is
 * weighed together. Only the regions this deployment serves are a market here: a job moving
 * elsewhere leaves it.
 */
export class RecordSignalHandler {
  constructor(private readonly served: ReadonlySet<string>) {}

  async handle(envelope: EventEnvelope<JobEvent | NodeEvent>, log: SignalLog): Promise<void> {
    const signal = toSignal(envelope);
    const recorded = signal && withinServedRegions(signal, this.served);
    if (recorded) await log.append(recorded, envelope.eventId);
  }
}
