import { Client, type ClientConfig, type Pool } from 'pg';
import { backoffDelay } from '../domain/backoff';
import { errorMessage } from '../domain/errors';
import { type Producer } from '../kafka/ports';
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
 * One relay per schema works at a time: it holds a session advisory lock on a dedicated
 * connection, which Postgres releases the moment that process or connection dies, so a standby
 * takes over without a lease timeout. One publisher in id order keeps each aggregate's events in
 * order (an aggregate's next event commits only after its previous one, so it has a higher id).
 * FOR UPDATE SKIP LOCKED additionally keeps a relay that lost its lease mid-batch and a new
 * holder from sending the same rows at the same time.
 */
export class OutboxRelay {
  private readonly s: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly logger: Logger;
  private lease: Client | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastPrune = 0;
  /** Rows published by this relay since start. */
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.s = quoteSchema(options.schema);
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.logger = options.logger ?? jsonLogger;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.dropLease();
  }

  /** Publishes one batch if this process holds the lease; returns the number of rows published. */
  async publishBatch(): Promise<number> {
    return withTransaction(this.options.pool, async (tx) => {
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

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!(await this.holdLease())) {
          await this.sleep(this.pollIntervalMs);
          continue;
        }
        const n = await this.publishBatch();
        this.published += n;
        failures = 0;
        await this.maybePrune();
        if (n < this.batchSize) await this.sleep(this.pollIntervalMs);
      } catch (err) {
        failures++;
        this.logger.warn('outbox relay failed; retrying', {
          schema: this.options.schema,
          error: errorMessage(err),
          failures,
        });
        await this.sleep(
          backoffDelay(failures, 0.5 + Math.random() / 2, {
            initialMs: 200,
            maxMs: 5_000,
            factor: 2,
          }),
        );
      }
    }
  }

  /** True if this process holds the schema's relay lock, taking it if free. */
  private async holdLease(): Promise<boolean> {
    if (this.lease) return true;
    const client = new Client(this.options.leaseConnection);
    client.on('error', (err) => {
      this.logger.warn('outbox relay lease connection lost', { error: errorMessage(err) });
      if (this.lease === client) this.lease = undefined;
      this.wake?.();
    });
    client.on('notification', () => this.wake?.());
    try {
      await client.connect();
      const r = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [`starminer.outbox.relay:${this.options.schema}`],
      );
      if (!r.rows[0]?.locked) {
        await client.end().catch(() => undefined);
        return false;
      }
      await client.query(`LISTEN "${outboxChannel(this.options.schema)}"`);
      this.lease = client;
      this.logger.info('outbox relay holds the lease', { schema: this.options.schema });
      return true;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.end().catch(() => undefined);
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

  /** Waits for a NOTIFY, a stop, or the timeout. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
