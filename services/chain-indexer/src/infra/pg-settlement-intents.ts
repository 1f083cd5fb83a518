import { quoteSchema, type EventEnvelope, type StarminerEvent, type Tx } from '@starminer/eventing';
import { type RecordSettlementIntentHandler } from '../app/settle-job/record-intent.handler';
import { type SettlementIntent, type SettlementIntents } from '../app/ports';

/** Settlement intents in Postgres, written in the consumer's transaction `tx`. */
export class PgSettlementIntents implements SettlementIntents {
  private readonly s: string;

  constructor(
    private readonly tx: Tx,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async record({
    chainJobId,
    serviceJobId,
    action,
    sourceEventId,
  }: SettlementIntent): Promise<void> {
    await this.tx.query(
      `INSERT INTO ${this.s}.settlement_intents (job_id, service_job_id, action, provider, gpu_seconds, status, source_event_id)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (job_id) DO NOTHING`,
      [
        chainJobId,
        serviceJobId,
        action.kind,
        action.kind === 'settle' ? action.provider : null,
        action.kind === 'settle' ? action.gpuSeconds.toString() : null,
        sourceEventId,
      ],
    );
  }
}

/** The settlement consumer's handler: `record` with its intents bound to the consumer's transaction. */
export function recordSettlementIntents(
  record: RecordSettlementIntentHandler,
  schema: string,
): (env: EventEnvelope<StarminerEvent>, tx: Tx) => Promise<void> {
  return (env, tx) => record.handle(env, new PgSettlementIntents(tx, schema));
}
