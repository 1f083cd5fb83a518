import { type Pool } from 'pg';
import {
  EventConsumer,
  EventRegistry,
  KafkaJsBus,
  OutboxRelay,
  Topics,
  catalogueTopics,
  jobEvents,
  migrateEventing,
  nodeEvents,
  type JobEvent,
  type DropReason,
  type EventEnvelope,
  type EventScope,
  type KafkaBusConfig,
  type NodeEvent,
  type Producer,
  type Tx,
} from '@starminer/eventing';
import { type JsonLogger, type ReadinessCheck } from '@starminer/service-kit';
import { type LeaveUnservedRegionsHandler } from '../app/leave-unserved-regions/leave-unserved-regions.handler';
import { type RunTickHandler } from '../app/run-tick/run-tick.handler';
import { migratePricingTables } from './pricing-tables';

export interface MarketRuntimeOptions {
  pool: Pool;
  databaseUrl: string;
  schema: string;
  /** The service's Kafka connection (kafkaBusOptions): brokers, namespace, principal. */
  bus: Omit<KafkaBusConfig, 'logger'>;
  groupId: string;
  /** What the consumer accepts: this deployment's node and job events of the served regions. */
  scope: EventScope;
  /** Counts each event the scope refused (Metrics#countRefused). */
  onRefused: (refused: { topic: string; reason: DropReason }) => void;
  intervalMs: number;
  /** Records a consumed event's signal in the consumer's transaction (with its inbox row). */
  recordSignal: (envelope: EventEnvelope<JobEvent | NodeEvent>, tx: Tx) => Promise<void>;
  leaveUnservedRegions: LeaveUnservedRegionsHandler;
  runTick: RunTickHandler;
  logger: JsonLogger;
}

/**
 * The service's moving parts around the pure engine: the consumer of node and job events, the
 * interval ticker, and the outbox relay that publishes PriceUpdated to starminer.market.v1.
 * Starts once the tables exist (retrying while Postgres is unreachable) and stops in reverse.
 */
export class MarketRuntime {
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<JobEvent | NodeEvent>;
  private readonly relay: OutboxRelay;
  private readonly producer: Producer;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private lastTickError: string | undefined;

  constructor(private readonly o: MarketRuntimeOptions) {
    this.bus = new KafkaJsBus({ ...o.bus, logger: o.logger });
    this.consumer = new EventConsumer({
      bus: this.bus,
      pool: o.pool,
      schema: o.schema,
      groupId: o.groupId,
      topics: [Topics.node, Topics.job],
      registry: new EventRegistry().include(nodeEvents).include(jobEvents),
      handler: o.recordSignal,
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
  }

  readinessChecks(): ReadinessCheck[] {
    return [
      {
        name: 'pricing-engine',
        check: () => {
          if (!this.started)
            return Promise.reject(new Error('not started: waiting for Postgres and Kafka'));
          if (this.lastTickError)
            return Promise.reject(new Error(`last pricing interval failed: ${this.lastTickError}`));
          return Promise.resolve();
        },
      },
      this.consumer.readiness(),
    ];
  }

  start(): void {
    this.starting = this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await migrateEventing(this.o.pool, this.o.schema);
        await migratePricingTables(this.o.pool, this.o.schema);
        const left = await this.o.leaveUnservedRegions.run();
        if (left > 0)
          this.o.logger.warn('took nodes and jobs of regions no longer served off the market', {
            entries: left,
          });
        // the topic it produces; the consumer creates the ones it reads when it starts
        await this.bus.ensureTopics(catalogueTopics([Topics.market]));
        await this.producer.connect();
        this.relay.start();
        await this.consumer.start();
        this.timer = setInterval(() => this.tick(), this.o.intervalMs);
        this.started = true;
        this.o.logger.info('pricing engine started', {
          groupId: this.o.groupId,
          intervalMs: this.o.intervalMs,
        });
        return;
      } catch (err) {
        this.o.logger.warn('pricing engine could not start; retrying', { err, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }

  /** One interval; skipped if the previous one is still running. */
  private tick(): void {
    if (this.ticking || this.stopped) return;
    this.ticking = this.o.runTick
      .run()
      .then(
        (points) => {
          this.lastTickError = undefined;
          if (points.length > 0) this.o.logger.debug('prices updated', { changed: points.length });
        },
        (err: unknown) => {
          this.lastTickError = err instanceof Error ? err.message : String(err);
          this.o.logger.error('pricing interval failed', { err });
        },
      )
      .finally(() => (this.ticking = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.starting;
    await this.ticking;
    await this.consumer.stop().catch(() => undefined);
    await this.relay.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.bus.close();
  }
}
