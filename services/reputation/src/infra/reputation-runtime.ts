import { type Pool } from 'pg';
import {
  EventConsumer,
  EventRegistry,
  KafkaJsBus,
  OutboxRelay,
  Topics,
  catalogueTopics,
  chainEvents,
  jobEvents,
  migrateEventing,
  nodeEvents,
  type DropReason,
  type EventEnvelope,
  type EventScope,
  type KafkaBusConfig,
  type Producer,
  type Tx,
} from '@starminer/eventing';
import { type JsonLogger, type Leases, type ReadinessCheck } from '@starminer/service-kit';
import { type ConsumedEvent } from '../app/record-event/record-event.handler';
import { type RunEpochHandler } from '../app/run-epoch/run-epoch.handler';
import { migrateReputationTables } from './reputation-tables';

export interface ReputationRuntimeOptions {
  /** Where this replica reports its outbox relay's tenure. */
  leases: Leases;
  pool: Pool;
  databaseUrl: string;
  schema: string;
  /** The service's Kafka connection (kafkaBusOptions): brokers, namespace, principal. */
  bus: Omit<KafkaBusConfig, 'logger'>;
  groupId: string;
  /** What the consumer accepts: this deployment's job, node (served regions) and chain events. */
  scope: EventScope;
  /** Counts each event the scope refused (Metrics#countRefused). */
  onRefused: (refused: { topic: string; reason: DropReason }) => void;
  /** Applies a consumed event in the consumer's transaction (with its inbox row). */
  recordEvent: (envelope: EventEnvelope<ConsumedEvent>, tx: Tx) => Promise<void>;
  /** Absent when epochs are disabled. */
  runEpoch?: RunEpochHandler;
  epochIntervalMs: number;
  logger: JsonLogger;
}

/**
 * The moving parts around the model: the consumer of job, node and chain events, the outbox relay
 * that publishes ReputationUpdated, and the reward epoch timer. Starts once the tables exist
 * (retrying while Postgres or Kafka are unreachable), stops in reverse.
 */
export class ReputationRuntime {
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<ConsumedEvent>;
  private readonly relay: OutboxRelay;
  private readonly producer: Producer;
  private timer: NodeJS.Timeout | undefined;
  private epochRun: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private lastEpochError: string | undefined;

  constructor(private readonly o: ReputationRuntimeOptions) {
    this.bus = new KafkaJsBus({ ...o.bus, logger: o.logger });
    this.consumer = new EventConsumer({
      bus: this.bus,
      pool: o.pool,
      schema: o.schema,
      groupId: o.groupId,
      topics: [Topics.job, Topics.node, Topics.chain],
      registry: new EventRegistry().include(jobEvents).include(nodeEvents).include(chainEvents),
      handler: o.recordEvent,
      scope: o.scope,
      onRefused: o.onRefused,
      logger: o.logger,
    });
    this.relay = new OutboxRelay({
      pool: o.pool,
      leaseConnection: { connectionString: o.databaseUrl },
      schema: o.schema,
      producer: (this.producer = this.bus.producer()),
      logger: o.logger,
      pollIntervalMs: 250,
    });
    o.leases.register('outbox-relay', () => this.relay.status());
  }

  readinessChecks(): ReadinessCheck[] {
    return [
      {
        name: 'reputation-model',
        check: () =>
          this.started
            ? Promise.resolve()
            : Promise.reject(new Error('not started: waiting for Postgres and Kafka')),
      },
      this.consumer.readiness(),
    ];
  }

  /** Last reward epoch failure, for logs and tests; undefined when the last run went through. */
  get epochError(): string | undefined {
    return this.lastEpochError;
  }

  start(): void {
    this.starting = this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await migrateEventing(this.o.pool, this.o.schema);
        await migrateReputationTables(this.o.pool, this.o.schema);
        // the topic it produces; the consumer creates the ones it reads when it starts
        await this.bus.ensureTopics(catalogueTopics([Topics.reputation]));
        await this.producer.connect();
        this.relay.start();
        await this.consumer.start();
        if (this.o.runEpoch && this.o.epochIntervalMs > 0)
          this.timer = setInterval(() => this.epoch(), this.o.epochIntervalMs);
        this.started = true;
        this.o.logger.info('reputation started', {
          groupId: this.o.groupId,
          epochIntervalMs: this.o.epochIntervalMs,
        });
        return;
      } catch (err) {
        this.o.logger.warn('reputation could not start; retrying', { err, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }

  /** One epoch; skipped while the previous one runs. */
  private epoch(): void {
    const runner = this.o.runEpoch;
    if (!runner || this.epochRun || this.stopped) return;
    this.epochRun = runner
      .run()
      .then(
        (r) => {
          this.lastEpochError = undefined;
          if (r.posted)
            this.o.logger.info('reward epoch posted', {
              epoch: Number(r.epoch),
              root: r.root,
              total: r.total.toString(),
              accounts: r.accounts,
              tx: r.transactionHash,
            });
          else this.o.logger.debug('reward epoch skipped', { reason: r.reason });
        },
        (err: unknown) => {
          this.lastEpochError = err instanceof Error ? err.message : String(err);
          this.o.logger.error('reward epoch failed', { err });
        },
      )
      .finally(() => (this.epochRun = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.starting;
    await this.epochRun;
    await this.consumer.stop().catch(() => undefined);
    await this.relay.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.bus.close();
  }
}
