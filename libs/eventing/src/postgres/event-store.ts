import { type Pool } from 'pg';
import { type EventRegistry, type TypedEvent } from '../catalogue/registry';
import { ConcurrencyError } from '../domain/errors';
import { fold, type Evolve } from '../domain/fold';
import { type EventEnvelope, type EventMetadata, type EventOrigin } from '../envelope';
import { completeEnvelope, toOutboxMessage, writeOutbox } from './outbox-writer';
import { quoteSchema } from './sql-names';
import { withTransaction, type Tx } from './transaction';

/** Version the command decided on: a number (0 = the stream must not exist yet), or 'any'. */
export type ExpectedVersion = number | 'any';

export interface NewEvent<E extends TypedEvent> {
  event: E;
  meta?: EventMetadata;
}

export interface AppendResult<E extends TypedEvent> {
  /** Version of the stream after the append. */
  nextVersion: number;
  envelopes: EventEnvelope<E>[];
}

interface EventRow {
  event_id: string;
  stream_id: string;
  version: string;
  type: string;
  schema_version: number;
  payload: Buffer;
  causation_id: string;
  correlation_id: string;
  traceparent: string;
  tracestate: string;
  occurred_at: Date;
}

/**
 * Event store in one service's Postgres schema: streams of events with optimistic concurrency,
 * and every appended event also written to the outbox in the same transaction.
 */
export class PgEventStore<E extends TypedEvent> {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly registry: EventRegistry<E>,
    private readonly origin: EventOrigin,
  ) {
    this.s = quoteSchema(schema);
  }

  /** Appends in a transaction of its own. Throws ConcurrencyError if the stream is not at `expectedVersion`. */
  append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: Array<E | NewEvent<E>>,
  ): Promise<AppendResult<E>> {
    return withTransaction(this.pool, (tx) =>
      this.appendInTransaction(tx, streamId, expectedVersion, events),
    );
  }

  /** Appends inside the caller's transaction (e.g. together with a consumer's inbox row). */
  async appendInTransaction(
    tx: Tx,
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: Array<E | NewEvent<E>>,
  ): Promise<AppendResult<E>> {
    const current = await this.currentVersion(tx, streamId);
    if (expectedVersion !== 'any' && current !== expectedVersion) {
      throw new ConcurrencyError(streamId, expectedVersion, current);
    }
    if (events.length === 0) return { nextVersion: current, envelopes: [] };
    const now = new Date();
    const envelopes = events.map((e, i) => {
      // A bare event has its `type` tag; a NewEvent wraps one with metadata.
      const { event, meta } = 'type' in e ? { event: e, meta: undefined } : e;
      return completeEnvelope(
        this.registry,
        this.origin,
        streamId,
        current + i + 1,
        event,
        meta,
        now,
      );
    });
    const encoded = envelopes.map((env) => this.registry.encode(env.event));
    try {
      // A savepoint keeps the caller's transaction usable after a conflict.
      await tx.query('SAVEPOINT starminer_append');
      await tx.query(
        `INSERT INTO ${this.s}.events (event_id, stream_id, version, type, schema_version, payload,
           causation_id, correlation_id, traceparent, tracestate, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::bytea[],
           $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])`,
        [
          envelopes.map((e) => e.eventId),
          envelopes.map(() => streamId),
          envelopes.map((e) => e.aggregateVersion),
          encoded.map((e) => e.type),
          encoded.map((e) => e.schemaVersion),
          encoded.map((e) => Buffer.from(e.payload)),
          envelopes.map((e) => e.causationId),
          envelopes.map((e) => e.correlationId),
          envelopes.map((e) => e.traceparent),
          envelopes.map((e) => e.tracestate),
          envelopes.map((e) => e.occurredAt.toISOString()),
        ],
      );
      await tx.query('RELEASE SAVEPOINT starminer_append');
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).constraint === 'events_stream_version') {
        await tx.query('ROLLBACK TO SAVEPOINT starminer_append');
        throw new ConcurrencyError(
          streamId,
          typeof expectedVersion === 'number' ? expectedVersion : current,
          undefined,
        );
      }
      throw err;
    }
    await writeOutbox(
      tx,
      this.schema,
      envelopes.map((env) => toOutboxMessage(this.registry, env)),
    );
    return { nextVersion: current + events.length, envelopes };
  }

  /** Events of a stream in order, upcast to current shapes; [] for a stream that does not exist. */
  async readStream(
    streamId: string,
    options: { fromVersion?: number; tx?: Tx } = {},
  ): Promise<EventEnvelope<E>[]> {
    const db = options.tx ?? this.pool;
    const result = await db.query<EventRow>(
      `SELECT event_id, stream_id, version, type, schema_version, payload, causation_id, correlation_id,
              traceparent, tracestate, occurred_at
         FROM ${this.s}.events WHERE stream_id = $1 AND version >= $2 ORDER BY version`,
      [streamId, options.fromVersion ?? 1],
    );
    return result.rows.map((row) => ({
      eventId: row.event_id,
      type: row.type,
      schemaVersion: this.registry.definition(row.type).schemaVersion,
      aggregateId: row.stream_id,
      aggregateVersion: Number(row.version),
      occurredAt: row.occurred_at,
      causationId: row.causation_id,
      correlationId: row.correlation_id,
      traceparent: row.traceparent,
      tracestate: row.tracestate,
      // A stream holds only this service's own events: it is their origin.
      deploymentId: this.origin.deploymentId,
      producer: this.origin.producer,
      event: this.registry.decode(row.type, row.schema_version, row.payload),
    }));
  }

  /** State of a stream and the version it is at: what a command decides on. */
  async aggregate<S>(
    streamId: string,
    evolve: Evolve<S, E>,
    initial: S,
    tx?: Tx,
  ): Promise<{ state: S; version: number }> {
    const envelopes = await this.readStream(streamId, { tx });
    const state = fold(evolve, initial)(envelopes.map((e) => e.event));
    return {
      state,
      version: envelopes.length === 0 ? 0 : envelopes[envelopes.length - 1]!.aggregateVersion,
    };
  }

  private async currentVersion(tx: Tx, streamId: string): Promise<number> {
    const r = await tx.query<{ version: string }>(
      `SELECT version FROM ${this.s}.events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`,
      [streamId],
    );
    return r.rows.length === 0 ? 0 : Number(r.rows[0]!.version);
  }
}
