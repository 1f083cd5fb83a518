import { type Pool } from 'pg';
import {
  EventConsumer,
  EventRegistry,
  KafkaJsBus,
  LeaseLostError,
  OutboxRelay,
  SingletonLoop,
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
  type PgLease,
  type Producer,
  type Tx,
} from '@starminer/eventing';
import { type JsonLogger, type Leases, type ReadinessCheck } from '@starminer/service-kit';
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
  /** The `price-ticker` lease: one replica runs the intervals, the others stand by. */
  tickerLease: PgLease;
  /** Where this replica reports its ticker and outbox relay tenures. */
  leases: Leases;
  /** Records a consumed event's signal in the consumer's transaction (with its inbox row). */
  recordSignal: (envelope: EventEnvelope<JobEvent | NodeEvent>, tx: Tx) => Promise<void>;
  leaveUnservedRegions: LeaveUnservedRegionsHandler;
  /** Fenced by `tickerLease`: a deposed replica's interval never commits. */
  runTick: RunTickHandler;
  logger: JsonLogger;
}

/**
 * The service's moving parts around the pure engine: the consumer of node and job events, the
 * interval ticker, and the outbox relay that publishes PriceUpdated to starminer.market.v1.
 * Starts once the tables exist (retrying while Postgres is unreachable) and stops in reverse.
 * Every replica consumes (the group shares the partitions) and answers quotes; the ticker and the
 * relay run on the replica holding their lease, so two replicas never run two intervals at once.
 */
export class MarketRuntime {
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<JobEvent | NodeEvent>;
  private readonly relay: OutboxRelay;
  private readonly producer: Producer;
  private readonly ticker: SingletonLoop;
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
    this.ticker = new SingletonLoop({
      name: 'price-ticker',
      lease: o.tickerLease,
      intervalMs: o.intervalMs,
      pass: () => this.tick(),
      logger: o.logger,
    });
    o.leases.register('price-ticker', () => this.ticker.status());
    o.leases.register('outbox-relay', () => this.relay.status());
  }

  readinessChecks(): ReadinessCheck[] {
    return [
      {
        name: 'pricing-engine',
        check: () => {
          if (!this.started)
            return Promise.reject(new Error('not started: waiting for Postgres and Kafka'));
          if (this.lastTickError && this.ticker.status().leader)
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
        this.ticker.start();
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

  /** One interval, on the replica holding the ticker's lease. */
  private async tick(): Promise<void> {
    try {
      const points = await this.o.runTick.run();
      this.lastTickError = undefined;
      if (points.length > 0) this.o.logger.debug('prices updated', { changed: points.length });
    } catch (err) {
      // A deposed ticker's interval is void, not failed: the new holder runs the next one.
      if (!(err instanceof LeaseLostError)) {
        this.lastTickError = err instanceof Error ? err.message : String(err);
        this.o.logger.error('pricing interval failed', { err });
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.ticker.stop();
    await this.consumer.stop().catch(() => undefined);
    await this.relay.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.bus.close();
  }
}
