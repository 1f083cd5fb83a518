import { type EventRegistry, type TypedEvent } from '../catalogue/registry';
import {
  encodeEnvelope,
  newEventId,
  type EventEnvelope,
  type EventMetadata,
  type EventOrigin,
} from '../envelope';
import { currentTraceHeaders } from '../tracing/trace-propagation';
import { outboxChannel, quoteSchema } from './sql-names';
import { type Tx } from './transaction';

/** One row of the outbox: a Kafka message ready to send. */
export interface OutboxMessage {
  eventId: string;
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Kafka headers every published event carries, so tools and dead-letter readers need no decode. */
export function envelopeHeaders(env: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {
    'event-id': env.eventId,
    'event-type': env.type,
    'schema-version': String(env.schemaVersion),
    'deployment-id': env.deploymentId,
    producer: env.producer,
  };
  if (env.traceparent) headers.traceparent = env.traceparent;
  if (env.tracestate) headers.tracestate = env.tracestate;
  return headers;
}

/**
 * Fills in what the caller left out of an event's metadata (id, time, trace of the active span)
 * and stamps the writer's origin: its deployment and its service name.
 */
export function completeEnvelope<E extends TypedEvent>(
  registry: EventRegistry<E>,
  origin: EventOrigin,
  aggregateId: string,
  aggregateVersion: number,
  event: E,
  meta: EventMetadata = {},
  now: Date = new Date(),
): EventEnvelope<E> {
  const trace = meta.traceparent
    ? { traceparent: meta.traceparent, tracestate: meta.tracestate ?? '' }
    : currentTraceHeaders();
  const eventId = meta.eventId ?? newEventId();
  return {
    eventId,
    type: event.type,
    schemaVersion: registry.definition(event.type).schemaVersion,
    aggregateId,
    aggregateVersion,
    occurredAt: meta.occurredAt ?? now,
    causationId: meta.causationId ?? '',
    correlationId: meta.correlationId ?? eventId,
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
    deploymentId: origin.deploymentId,
    producer: origin.producer,
    event,
  };
}

/**
 * Writes outbox rows inside the caller's transaction: they commit (and become publishable)
 * exactly when the caller's own writes do, and vanish with them on rollback.
 */
export async function writeOutbox(
  tx: Tx,
  schema: string,
  messages: OutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const s = quoteSchema(schema);
  await tx.query(
    `INSERT INTO ${s}.outbox (event_id, topic, message_key, message_value, headers)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[])`,
    [
      messages.map((m) => m.eventId),
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => m.value),
      messages.map((m) => JSON.stringify(m.headers)),
    ],
  );
  // Delivered on commit only; wakes the relay without waiting for its next poll.
  await tx.query('SELECT pg_notify($1, $2)', [outboxChannel(schema), '']);
}

/** Outbox message of an envelope, keyed by aggregate id so each aggregate stays ordered. */
export function toOutboxMessage<E extends TypedEvent>(
  registry: EventRegistry<E>,
  env: EventEnvelope<E>,
): OutboxMessage {
  return {
    eventId: env.eventId,
    topic: registry.definition(env.type).topic,
    key: env.aggregateId,
    value: encodeEnvelope(registry, env),
    headers: envelopeHeaders(env),
  };
}

/**
 * Publishes events from any transactional handler that does not keep an event-sourced stream
 * (projections, the chain indexer): `publish(tx, [...])` inside the handler's transaction.
 */
export class OutboxPublisher<E extends TypedEvent> {
  constructor(
    private readonly schema: string,
    private readonly registry: EventRegistry<E>,
    private readonly origin: EventOrigin,
  ) {}

  async publish(
    tx: Tx,
    events: Array<{
      aggregateId: string;
      aggregateVersion?: number;
      event: E;
      meta?: EventMetadata;
    }>,
  ): Promise<EventEnvelope<E>[]> {
    const envelopes = events.map((e) =>
      completeEnvelope(
        this.registry,
        this.origin,
        e.aggregateId,
        e.aggregateVersion ?? 0,
        e.event,
        e.meta,
      ),
    );
    await writeOutbox(
      tx,
      this.schema,
      envelopes.map((env) => toOutboxMessage(this.registry, env)),
    );
    return envelopes;
  }
}
