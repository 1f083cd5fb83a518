import { type Pool } from 'pg';
import { type EventRegistry, type TypedEvent } from '../catalogue/registry';
import { catalogueTopics, deadLetterTopic } from '../catalogue/topics';
import { backoffDelay, type BackoffPolicy } from '../domain/backoff';
import { errorMessage, isRetryable } from '../domain/errors';
import { decodeEnvelope, peekEventId, type EventEnvelope } from '../envelope';
import {
  type Consumer,
  type EventBus,
  type IncomingMessage,
  type MessageBatch,
  type Producer,
} from '../kafka/ports';
import { type Logger, jsonLogger } from '../logger';
import { withTransaction, type Tx } from '../postgres/transaction';
import { withTraceHeaders } from '../tracing/trace-propagation';
import { deadLetterMessage } from './dead-letter';
import { type DropReason, type EventScope, refusalOf, refusalSource } from './event-scope';
import { type ReadinessCheck, withTimeout } from './readiness';
import { InboxRepository } from './inbox-repository';

/** Applies one event's effects through `tx`; throw a NonRetryableError for a poison event. */
export type EventHandler<E extends TypedEvent> = (
  envelope: EventEnvelope<E>,
  tx: Tx,
) => Promise<void>;

export interface EventConsumerOptions<E extends TypedEvent> {
  bus: EventBus;
  pool: Pool;
  /** The consuming service's schema, holding its inbox table. */
  schema: string;
  groupId: string;
  topics: string[];
  registry: EventRegistry<E>;
  /**
   * What this consumer accepts: its own deployment's events, each from its owning service, and
   * the rules given. Anything else is dropped before the handler sees it, counted and logged.
   */
  scope: EventScope;
  /** Called for each event the scope refused (the service's metric). */
  onRefused?: (refused: { topic: string; reason: DropReason }) => void;
  handler: EventHandler<E>;
  /** Most messages applied in one Postgres transaction (default 200). */
  maxBatchSize?: number;
  backoff?: BackoffPolicy;
  logger?: Logger;
  sessionTimeoutMs?: number;
  stallTimeoutMs?: number;
  /**
   * Where a group with no committed offsets starts: the topic's beginning (default, so a new
   * service sees history) or its end, for consumers that only fan out what happens from now on.
   */
  fromBeginning?: boolean;
}

interface Decoded<E extends TypedEvent> {
  message: IncomingMessage;
  envelope?: EventEnvelope<E>;
  error?: unknown;
}

/** Thrown out of the retry loop when the partition was revoked or the consumer is stopping. */
class BatchAbandoned extends Error {}

/**
 * Exactly-once effects on at-least-once delivery: each event's effects and its inbox row commit
 * in one Postgres transaction, and the Kafka offset is committed only after that, so a crash or a
 * rebalance at any point at worst redelivers events whose inbox rows make them no-ops.
 *
 * Retryable failures (Postgres or Kafka gone) are retried with backoff, forever, holding the
 * partition's position; meanwhile readiness reports the stall. Non-retryable failures and
 * undecodable messages go to `<topic>.dlq.<group>` with the reason, and consumption goes on.
 */
export class EventConsumer<E extends TypedEvent> {
  private readonly consumer: Consumer;
  private readonly dlqProducer: Producer;
  private readonly inbox: InboxRepository;
  private readonly logger: Logger;
  private readonly maxBatchSize: number;
  private readonly backoff: BackoffPolicy;
  private stalled: { since: Date; error: string } | undefined;
  private started = false;
  /** Sources of refused events already logged: one line per source, not per event. */
  private readonly refusedSources = new Set<string>();
  /** Counters for metrics and tests. */
  readonly stats = { applied: 0, duplicates: 0, deadLettered: 0, retries: 0, refused: 0 };

  constructor(private readonly options: EventConsumerOptions<E>) {
    this.consumer = options.bus.consumer({
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs,
      fromBeginning: options.fromBeginning,
    });
    this.dlqProducer = options.bus.producer();
    this.inbox = new InboxRepository(options.schema, options.groupId);
    this.logger = options.logger ?? jsonLogger;
    this.maxBatchSize = options.maxBatchSize ?? 200;
    this.backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000, factor: 2 };
  }

  async start(): Promise<void> {
    // A deployment's namespace starts empty: its topics are created by whoever needs them first.
    await this.options.bus.ensureTopics([
      ...catalogueTopics(this.options.topics),
      ...this.options.topics.map((t) => ({ topic: deadLetterTopic(t, this.options.groupId) })),
    ]);
    await this.dlqProducer.connect();
    await this.consumer.start(this.options.topics, (batch) => this.handleBatch(batch));
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.consumer.stop();
    await this.dlqProducer.disconnect().catch(() => undefined);
  }

  /** Not ready while Kafka is not consumed, processing is stuck on a retryable error, or Postgres is unreachable. */
  readiness(): ReadinessCheck {
    return {
      name: `event-consumer:${this.options.groupId}`,
      check: async () => {
        if (!this.started) throw new Error('consumer not started');
        const status = this.consumer.status();
        if (!status.running)
          throw new Error(`kafka consumer not running: ${status.problem ?? 'unknown'}`);
        if (this.stalled)
          throw new Error(
            `stalled since ${this.stalled.since.toISOString()}: ${this.stalled.error}`,
          );
        try {
          await withTimeout('postgres ping', 3_000, this.options.pool.query('SELECT 1'));
        } catch (err) {
          throw new Error(`postgres unreachable: ${errorMessage(err)}`, { cause: err });
        }
      },
    };
  }

  private async handleBatch(batch: MessageBatch): Promise<void> {
    for (let i = 0; i < batch.messages.length && batch.isActive(); i += this.maxBatchSize) {
      const messages = batch.messages.slice(i, i + this.maxBatchSize);
      const chunk = messages.map((m) => this.decode(m)).filter((d) => d !== undefined);
      try {
        await this.retrying(batch, () => this.applyChunk(chunk));
      } catch (err) {
        if (err instanceof BatchAbandoned) return;
        throw err;
      }
      await batch.commit(messages[messages.length - 1]!.offset);
      await batch.heartbeat();
    }
  }

  private decode(message: IncomingMessage): Decoded<E> | undefined {
    if (!message.value) return { message, error: new Error('message has no value') };
    let envelope: EventEnvelope<E>;
    try {
      envelope = decodeEnvelope(this.options.registry, message.value);
    } catch (err) {
      return { message, error: err };
    }
    return this.admitted(message, envelope) ? { message, envelope } : undefined;
  }

  /** Whether the scope admits the event; a refused one is counted and its source logged once. */
  private admitted(message: IncomingMessage, envelope: EventEnvelope<E>): boolean {
    const refusal = refusalOf(this.options.scope, this.options.registry, envelope);
    if (!refusal) return true;
    this.stats.refused++;
    this.options.onRefused?.({ topic: message.topic, reason: refusal.reason });
    const source = refusalSource(envelope, refusal);
    // Bounded, so a flood of forged sources cannot grow memory; past it, counting goes on.
    if (!this.refusedSources.has(source) && this.refusedSources.size < 1_000) {
      this.refusedSources.add(source);
      this.logger.warn('event refused: not of this deployment (further ones from it not logged)', {
        groupId: this.options.groupId,
        topic: message.topic,
        eventId: envelope.eventId,
        type: envelope.type,
        reason: refusal.reason,
        detail: refusal.detail,
      });
    }
    return false;
  }

  /** All of a chunk in one transaction; if a handler rejects an event, one transaction per event. */
  private async applyChunk(chunk: Decoded<E>[]): Promise<void> {
    const poison = chunk.filter((d) => !d.envelope);
    for (const d of poison)
      await this.deadLetter(d.message, d.error, peekEventId(d.message.value ?? Buffer.alloc(0)));
    const good = chunk.filter(
      (d): d is Decoded<E> & { envelope: EventEnvelope<E> } => !!d.envelope,
    );
    if (good.length === 0) return;
    try {
      await withTransaction(this.options.pool, async (tx) => {
        const fresh = await this.inbox.claim(
          tx,
          good.map((d) => ({ eventId: d.envelope.eventId, message: d.message })),
        );
        for (const d of good) {
          if (!fresh.delete(d.envelope.eventId)) {
            this.stats.duplicates++;
            continue;
          }
          await this.runHandler(d.envelope, tx);
        }
      });
      this.stats.applied += good.length;
    } catch (err) {
      if (isRetryable(err)) throw err;
      // Some event is poison: apply one by one so only that one is dead-lettered.
      for (const d of good) await this.applyOne(d.message, d.envelope);
    }
  }

  private async applyOne(message: IncomingMessage, envelope: EventEnvelope<E>): Promise<void> {
    try {
      await withTransaction(this.options.pool, async (tx) => {
        const fresh = await this.inbox.claim(tx, [{ eventId: envelope.eventId, message }]);
        if (fresh.size === 0) {
          this.stats.duplicates++;
          return;
        }
        await this.runHandler(envelope, tx);
      });
      this.stats.applied++;
    } catch (err) {
      if (isRetryable(err)) throw err;
      await this.deadLetter(message, err, envelope.eventId);
    }
  }

  private runHandler(envelope: EventEnvelope<E>, tx: Tx): Promise<void> {
    return withTraceHeaders(envelope, () => this.options.handler(envelope, tx));
  }

  /** Publishes the dead-letter copy, then remembers the event id so a redelivery skips it. */
  private async deadLetter(
    message: IncomingMessage,
    err: unknown,
    eventId: string | undefined,
  ): Promise<void> {
    if (eventId && (await this.inbox.seen(this.options.pool, eventId))) return;
    const dlq = deadLetterTopic(message.topic, this.options.groupId);
    await this.dlqProducer.send([
      deadLetterMessage(dlq, this.options.groupId, message, err, new Date()),
    ]);
    if (eventId) {
      await withTransaction(this.options.pool, (tx) =>
        this.inbox.claim(tx, [{ eventId, message }], 'dead-lettered').then(() => undefined),
      );
    }
    this.stats.deadLettered++;
    this.logger.warn('event dead-lettered', {
      groupId: this.options.groupId,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      eventId,
      deadLetterTopic: dlq,
      reason: errorMessage(err),
    });
  }

  /** Runs `work` until it succeeds; only retryable errors are retried, with backoff. */
  private async retrying(batch: MessageBatch, work: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        this.stalled = undefined;
        return;
      } catch (err) {
        if (!isRetryable(err)) {
          // Not the handler's (that is dead-lettered): our own infrastructure. Retrying is the only
          // way not to skip events, so retry, but loudly.
          this.logger.error('event consumer failed unexpectedly; retrying', {
            error: errorMessage(err),
          });
        }
        this.stats.retries++;
        this.stalled ??= { since: new Date(), error: errorMessage(err) };
        if (!batch.isActive()) throw new BatchAbandoned();
        await new Promise((r) =>
          setTimeout(r, backoffDelay(attempt, 0.5 + Math.random() / 2, this.backoff)),
        );
        if (!batch.isActive()) throw new BatchAbandoned();
        await batch.heartbeat();
      }
    }
  }
}
