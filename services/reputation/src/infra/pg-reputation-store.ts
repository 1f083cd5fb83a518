import {
  NonRetryableError,
  causedBy,
  type OutboxPublisher,
  type ReputationEvent,
  type Tx,
} from '@starminer/eventing';
import { InvalidEventError } from '../app/record-event/record-event.handler';
import { type ReputationEventSink, type ReputationStore } from '../app/ports';
import { PgEvidence } from './pg-evidence';
import { PgScores } from './pg-scores';

/** The reputation outbox bound to one transaction, each event carrying its cause's metadata. */
export function outboxSink(outbox: OutboxPublisher<ReputationEvent>, tx: Tx): ReputationEventSink {
  return {
    publish: async (cause, events) => {
      await outbox.publish(
        tx,
        events.map((e) => ({ ...e, meta: causedBy(cause) })),
      );
    },
  };
}

/** Evidence, scores and the outbox in the consumer's transaction (with its inbox row). */
export function pgReputationStore(
  tx: Tx,
  schema: string,
  outbox: OutboxPublisher<ReputationEvent>,
): ReputationStore {
  return {
    evidence: new PgEvidence(tx, schema),
    scores: new PgScores(tx, schema),
    events: outboxSink(outbox, tx),
  };
}

/**
 * An event the handler refused as malformed goes to the dead-letter topic: the consumer retries
 * only retryable errors, and NonRetryableError names it so in the dead letter's headers.
 */
export function asConsumerError(err: unknown): never {
  if (err instanceof InvalidEventError) throw new NonRetryableError(err.message, { cause: err });
  throw err;
}
