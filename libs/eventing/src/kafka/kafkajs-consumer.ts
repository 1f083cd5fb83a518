import {
  type Consumer as KafkaConsumer,
  type EachBatchPayload,
  type IHeaders,
  type Kafka,
} from 'kafkajs';
import { errorMessage } from '../domain/errors';
import { type TopicNamespace } from './topic-namespace';
import { type Logger } from '../logger';
import { kafkaRetry } from './kafkajs-retry';
import {
  type Consumer,
  type ConsumerOptions,
  type ConsumerStatus,
  type IncomingMessage,
  type MessageBatch,
} from './ports';

type BatchHandler = (batch: MessageBatch) => Promise<void>;

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

/**
 * A kafkajs consumer under supervision. kafkajs restarts itself after retriable crashes, but it
 * stops for good after a non-retriable one, and after broker restarts it has been seen to stay
 * connected without fetching ("wedged"). So: on a crash without restart, and when no fetch has
 * started for `stallTimeoutMs` while no batch is being processed, the kafkajs consumer is thrown
 * away and a new one joins the group. Offsets are committed only by the handler (autoCommit off).
 */
export class KafkaJsConsumer implements Consumer {
  private current: KafkaConsumer | undefined;
  private topics: string[] = [];
  private handler: BatchHandler | undefined;
  private stopping = false;
  private joined = false;
  private problem: string | undefined = 'not started';
  private restarts = 0;
  private batchesInFlight = 0;
  private lastActivity = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly logger: Logger,
    private readonly namespace: TopicNamespace,
  ) {}

  async start(topics: string[], handleBatch: BatchHandler): Promise<void> {
    this.topics = topics;
    this.handler = handleBatch;
    this.stopping = false;
    await this.launch();
    const stallMs = this.options.stallTimeoutMs ?? 30_000;
    this.watchdog = setInterval(() => this.checkStall(stallMs), Math.max(250, stallMs / 4));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await this.restarting?.catch(() => undefined);
    await this.disconnect(this.current);
    this.current = undefined;
    this.joined = false;
    this.problem = 'stopped';
  }

  status(): ConsumerStatus {
    const running = this.joined && this.problem === undefined && !this.stopping;
    return {
      running,
      restarts: this.restarts,
      ...(running ? {} : { problem: this.problem ?? 'not joined' }),
    };
  }

  private async launch(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.namespace.group(this.options.groupId),
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 10),
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: kafkaRetry,
    });
    this.current = consumer;
    this.joined = false;
    this.lastActivity = Date.now();
    const alive = () => {
      this.lastActivity = Date.now();
    };
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, () => {
      this.joined = true;
      this.problem = undefined;
      alive();
    });
    consumer.on(events.FETCH_START, alive);
    consumer.on(events.FETCH, alive);
    consumer.on(events.HEARTBEAT, alive);
    consumer.on(events.REBALANCING, () => {
      this.joined = false;
      this.problem = 'rebalancing';
    });
    consumer.on(events.CRASH, (e) => {
      this.joined = false;
      this.problem = `crashed: ${errorMessage(e.payload.error)}`;
      this.logger.warn('kafka consumer crashed', {
        groupId: this.options.groupId,
        error: errorMessage(e.payload.error),
        kafkajsRestarts: e.payload.restart,
      });
      if (!e.payload.restart && consumer === this.current) this.restart('crash without restart');
    });
    consumer.on(events.DISCONNECT, () => {
      this.joined = false;
      if (!this.stopping) this.problem = 'disconnected';
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: this.topics.map((t) => this.namespace.topic(t)),
        fromBeginning: this.options.fromBeginning ?? true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.onBatch(consumer, payload),
      });
    } catch (err) {
      this.problem = `cannot start: ${errorMessage(err)}`;
      this.logger.warn('kafka consumer cannot start; will retry', {
        groupId: this.options.groupId,
        error: errorMessage(err),
      });
      // The watchdog notices no activity and launches again.
    }
  }

  private async onBatch(consumer: KafkaConsumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const topic = this.namespace.logical(batch.topic);
    this.batchesInFlight++;
    try {
      await this.handler!({
        topic,
        partition: batch.partition,
        messages: batch.messages.map((m): IncomingMessage => ({
          topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString() : null,
          value: m.value,
          headers: headersToStrings(m.headers),
        })),
        heartbeat: async () => {
          this.lastActivity = Date.now();
          await payload.heartbeat();
        },
        commit: async (offset) => {
          payload.resolveOffset(offset);
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(offset) + 1n).toString(),
            },
          ]);
        },
        isActive: () => payload.isRunning() && !payload.isStale() && consumer === this.current,
      });
    } finally {
      this.batchesInFlight--;
      this.lastActivity = Date.now();
    }
  }

  private checkStall(stallMs: number): void {
    if (this.stopping || this.restarting || this.batchesInFlight > 0) return;
    const idle = Date.now() - this.lastActivity;
    if (idle > stallMs) this.restart(`no fetch for ${idle} ms`);
  }

  private restart(reason: string): void {
    if (this.stopping || this.restarting) return;
    this.restarts++;
    this.problem = `restarting: ${reason}`;
    this.logger.warn('restarting kafka consumer', {
      groupId: this.options.groupId,
      reason,
      restarts: this.restarts,
    });
    const old = this.current;
    this.restarting = (async () => {
      await this.disconnect(old);
      if (!this.stopping) await this.launch();
    })().finally(() => {
      this.restarting = undefined;
    });
  }

  /** Disconnects, but never waits more than 10 s on a client that may be wedged. */
  private async disconnect(consumer: KafkaConsumer | undefined): Promise<void> {
    if (!consumer) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      consumer.disconnect().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 10_000);
      }),
    ]);
    clearTimeout(timer);
  }
}
