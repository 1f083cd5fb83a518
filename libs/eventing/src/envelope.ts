import { eventsV1 } from '@starminer/proto';
import { uuidv7 } from 'uuidv7';
import { type EventRegistry, type TypedEvent } from './catalogue/registry';
import { DecodeError } from './domain/errors';

/** An event with its envelope metadata, as appended, published and consumed. */
export interface EventEnvelope<E extends TypedEvent = TypedEvent> {
  eventId: string;
  type: E['type'];
  schemaVersion: number;
  aggregateId: string;
  /** Position in the aggregate's stream (1-based); 0 for events outside a stream. */
  aggregateVersion: number;
  occurredAt: Date;
  causationId: string;
  correlationId: string;
  traceparent: string;
  tracestate: string;
  /** The deployment the event belongs to (see EventOrigin); '' on events written before it existed. */
  deploymentId: string;
  /** The service that published it; '' on events written before it was recorded. */
  producer: string;
  event: E;
}

/**
 * Who writes an event: the deployment it belongs to and the publishing service. Every outbox
 * stamps it on the envelope; every consumer checks it (EventScope) before any effect.
 */
export interface EventOrigin {
  /** `deploymentIdOf(deployments)`: "<chain id>:<JobEscrow address, lower case>". */
  deploymentId: string;
  /** The publishing service's name, as the catalogue names each event type's owner. */
  producer: string;
}

/** What a caller may set about a new event; the rest is filled in (ids, time, trace). */
export interface EventMetadata {
  eventId?: string;
  occurredAt?: Date;
  causationId?: string;
  correlationId?: string;
  traceparent?: string;
  tracestate?: string;
}

export function newEventId(): string {
  return uuidv7();
}

/** Envelope of an event a consumer received: its causation and correlation for the next event. */
export function causedBy(
  cause: Pick<EventEnvelope, 'eventId' | 'correlationId' | 'traceparent' | 'tracestate'>,
): EventMetadata {
  return {
    causationId: cause.eventId,
    correlationId: cause.correlationId || cause.eventId,
    traceparent: cause.traceparent,
    tracestate: cause.tracestate,
  };
}

/** Envelope -> protobuf bytes (the Kafka message value and the outbox row). */
export function encodeEnvelope<E extends TypedEvent>(
  registry: EventRegistry<E>,
  env: EventEnvelope<E>,
): Buffer {
  const encoded = registry.encode(env.event);
  const bytes = eventsV1.Envelope.encode({
    eventId: env.eventId,
    type: encoded.type,
    schemaVersion: encoded.schemaVersion,
    aggregateId: env.aggregateId,
    aggregateVersion: String(env.aggregateVersion),
    occurredAt: env.occurredAt.toISOString(),
    causationId: env.causationId,
    correlationId: env.correlationId,
    traceparent: env.traceparent,
    tracestate: env.tracestate,
    payload: Buffer.from(encoded.payload),
    deploymentId: env.deploymentId,
    producer: env.producer,
  }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Protobuf bytes -> envelope with the event decoded and upcast. Throws DecodeError / UnknownEventTypeError. */
export function decodeEnvelope<E extends TypedEvent>(
  registry: EventRegistry<E>,
  bytes: Uint8Array,
): EventEnvelope<E> {
  let raw: eventsV1.Envelope;
  try {
    raw = eventsV1.Envelope.decode(bytes);
  } catch (err) {
    throw new DecodeError('message is not a protobuf Envelope', { cause: err });
  }
  if (!raw.eventId || !raw.type) throw new DecodeError('envelope lacks event_id or type');
  const event = registry.decode(raw.type, raw.schemaVersion || 1, raw.payload);
  return {
    eventId: raw.eventId,
    type: raw.type,
    // The event now has the current shape, whatever version it was written with.
    schemaVersion: registry.definition(raw.type).schemaVersion,
    aggregateId: raw.aggregateId,
    aggregateVersion: Number(raw.aggregateVersion),
    occurredAt: raw.occurredAt ? new Date(raw.occurredAt) : new Date(0),
    causationId: raw.causationId,
    correlationId: raw.correlationId,
    traceparent: raw.traceparent,
    tracestate: raw.tracestate,
    deploymentId: raw.deploymentId,
    producer: raw.producer,
    event,
  };
}

/**
 * Reads only the event id of an envelope (for deduplication and dead-letter headers) without
 * decoding the payload; undefined if the bytes are not an envelope.
 */
export function peekEventId(bytes: Uint8Array): string | undefined {
  try {
    return eventsV1.Envelope.decode(bytes).eventId || undefined;
  } catch {
    return undefined;
  }
}
