import { type ClientConfig, type Pool } from 'pg';
import { type Producer } from '../kafka/ports';
import { PgLease } from '../lease/pg-lease';
import { SingletonLoop, type SingletonStatus } from '../lease/singleton-loop';
import { type Logger, jsonLogger } from '../logger';
import { outboxChannel, quoteSchema } from '../postgres/sql-names';
import { withTransaction } from '../postgres/transaction';

export interface OutboxRelayOptions {
  pool: Pool;
  /** Connection for the lease and LISTEN: a dedicated session, never a pooled one. */
  leaseConnection: ClientConfig;
  schema: string;
  producer: Producer;
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (NOTIFY is best effort across reconnects). */
  pollIntervalMs?: number;
  /** Published rows older than this are deleted (default one day). */
  retentionMs?: number;
  /** Names this replica in the lease's holder (default `<hostname>/<pid>`). */
  holderId?: string;
  logger?: Logger;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  message_value: Buffer;
  headers: Record<string, string>;
}

/**
 * Publishes committed outbox rows to Kafka in id order, then marks them published.
 *
 * Crash safety: rows are marked only after Kafka acknowledged them, in the transaction that
 * locked them, so a relay killed at any point leaves them unpublished or republishes them
 * (at-least-once); rolled-back writers never produced rows to see.
 *
 * One relay per schema works at a time: every replica runs the relay as a SingletonLoop under
 * the schema's `outbox-relay` PgLease. A holder that dies frees the lock with its session, so a
 * standby takes over within its poll interval; a frozen holder is deposed after the lease's term,
 * and its batch transaction is fenced, so it can no longer mark rows once a successor took over
 * (it may resend a batch the successor already sent: at-least-once, absorbed by the consumers'
 * inbox). One publisher in id order keeps each aggregate's events in order (an aggregate's next
 * event commits only after its previous one, so it has a higher id). FOR UPDATE SKIP LOCKED
 * additionally keeps a deposed relay still inside a batch and a new holder from sending the
 * same rows at the same time.
 */
export class OutboxRelay {
  private readonly s: string;
  private readonly batchSize: number;
  private readonly logger: Logger;
  private readonly lease: PgLease;
  private readonly loop: SingletonLoop;
  private lastPrune = 0;
  /** Rows published by this relay since start. */
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.s = quoteSchema(options.schema);
    this.batchSize = options.batchSize ?? 500;
    this.logger = options.logger ?? jsonLogger;
    const pollIntervalMs = options.pollIntervalMs ?? 500;
    this.lease = new PgLease({
      name: 'outbox-relay',
      schema: options.schema,
      connection: options.leaseConnection,
      ...(options.holderId ? { holderId: options.holderId } : {}),
      listen: [outboxChannel(options.schema)],
      onNotification: () => this.loop.wake(),
      logger: this.logger,
    });
    this.loop = new SingletonLoop({
      name: `outbox-relay:${options.schema}`,
      lease: this.lease,
      intervalMs: pollIntervalMs,
      standbyPollMs: pollIntervalMs,
      logger: this.logger,
      pass: async () => {
        const n = await this.publishBatch();
        this.published += n;
        await this.maybePrune();
        return n === this.batchSize;
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops after the batch in flight and releases the lease for a standby. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Whether this replica is the schema's publishing relay, its tenure and its last error. */
  status(): SingletonStatus {
    return this.loop.status();
  }

  /** The replica publishing this schema's outbox now, as Postgres sees it. */
  holder(): Promise<string | undefined> {
    return this.lease.holder();
  }

  /** Publishes one batch under the lease; returns the number of rows published. */
  private async publishBatch(): Promise<number> {
    return withTransaction(this.options.pool, async (tx) => {
      await this.lease.fence(tx);
      const { rows } = await tx.query<OutboxRow>(
        `SELECT id, topic, message_key, message_value, headers FROM ${this.s}.outbox
          WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.options.producer.send(
        rows.map((r) => ({
          topic: r.topic,
          key: r.message_key,
          value: r.message_value,
          headers: r.headers,
        })),
      );
      await tx.query(
        `UPDATE ${this.s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])`,
        [rows.map((r) => r.id)],
      );
      return rows.length;
    });
  }

  private async maybePrune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    const retentionMs = this.options.retentionMs ?? 86_400_000;
    await this.options.pool.query(
      `DELETE FROM ${this.s}.outbox WHERE published_at < now() - make_interval(secs => $1)`,
      [retentionMs / 1000],
    );
  }
}
