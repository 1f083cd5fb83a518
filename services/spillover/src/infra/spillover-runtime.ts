import { type Pool } from 'pg';
import { readDeployments } from '@starminer/chain';
import {
  catalogueTopics,
  deploymentScope,
  EventConsumer,
  EventRegistry,
  jobEvents,
  KafkaJsBus,
  marketEvents,
  nodeEvents,
  OutboxRelay,
  PgLease,
  SingletonLoop,
  Topics,
  type DeploymentScope,
  type DropReason,
  type Producer,
} from '@starminer/eventing';
import {
  type JsonLogger,
  kafkaBusOptions,
  type LeaseTenure,
  type Metrics,
  NOT_STARTED,
  type ReadinessCheck,
  readRegionsFile,
  systemClock,
} from '@starminer/service-kit';
import { PlanRoutingHandler, type PlanResult } from '../app/plan-routing/plan-routing.handler';
import {
  type ConsumedEvent,
  ProjectEventsHandler,
} from '../app/project-events/project-events.handler';
import { type SpilloverConfig } from '../config';
import { RegionProbe } from './kube/region-probe';
import { GrpcMatchmaker } from './matchmaker/grpc-matchmaker';
import { OutboxProposals } from './outbox-proposals';
import { PgRoutingProjection } from './postgres/pg-routing-projection';
import { PgRoutingReadModel } from './postgres/pg-routing-read-model';
import { migrateRoutingTables } from './postgres/routing-tables';

/**
 * Wires spillover: the consumer of job, node and market events into its read model, the outbox
 * relay (JobRerouteProposed), the probe of each region's API server, and the planning loop (every
 * PLAN_MS, and soon after any event or reachability change). Every replica consumes, probes and
 * answers GetRoutingPlan; the planning loop runs on the replica holding the schema's
 * `routing-planner` lease, so two replicas never propose the same move.
 *
 * It belongs to one deployment (DEPLOYMENTS_FILE): its proposals are stamped with it, and its
 * consumer reads only that deployment's events, each from its owning service, node and price
 * events only of the regions of REGIONS_FILE. Anything else is dropped before it reaches the read
 * model, and counted on `starminer_events_refused_total`.
 */
export class SpilloverRuntime {
  private readonly planner: PlanRoutingHandler;
  readonly probe: RegionProbe;
  readonly regions: string[];
  /** The deployment spillover serves: the origin of its proposals and what it accepts. */
  readonly deployment: DeploymentScope;
  /** Counts a refused event (the service's Metrics, once the module has handed them over). */
  private countRefused: (refused: { topic: string; reason: DropReason }) => void = () => undefined;
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<ConsumedEvent>;
  private readonly matchmaker: GrpcMatchmaker;
  private producer?: Producer;
  private relay?: OutboxRelay;
  private readonly planLoop: SingletonLoop;
  private running = false;
  private kicked = false;

  constructor(
    private readonly config: SpilloverConfig,
    private readonly pool: Pool,
    private readonly logger: JsonLogger,
  ) {
    const schema = config.DATABASE_SCHEMA;
    const matrix = readRegionsFile(config.REGIONS_FILE);
    this.regions = matrix.regions;
    this.deployment = deploymentScope(readDeployments(config.DEPLOYMENTS_FILE), {
      service: 'spillover',
      regions: matrix.regions,
    });
    this.probe = new RegionProbe(
      config.kubeconfigs,
      {
        intervalMs: config.PROBE_MS,
        timeoutMs: config.PROBE_TIMEOUT_MS,
        failures: config.PROBE_FAILURES,
      },
      logger,
      () => this.kick(),
    );
    this.matchmaker = new GrpcMatchmaker(config.MATCHMAKER_GRPC_URL);
    const plannerLease = new PgLease({
      name: 'routing-planner',
      schema,
      connection: { connectionString: config.DATABASE_URL },
      logger,
    });
    this.planner = new PlanRoutingHandler(
      new PgRoutingReadModel(pool, schema),
      matrix,
      this.probe,
      this.matchmaker,
      new OutboxProposals(pool, schema, this.deployment.origin, plannerLease),
      systemClock,
      logger,
      config.SPILL_AFTER_SECONDS * 1000,
    );
    this.planLoop = new SingletonLoop({
      name: 'routing-planner',
      lease: plannerLease,
      intervalMs: config.PLAN_MS,
      pass: async () => {
        await this.planner.plan();
      },
      logger,
    });
    const project = new ProjectEventsHandler(() => this.kick());
    this.bus = new KafkaJsBus({ ...kafkaBusOptions(config, 'spillover'), logger });
    this.consumer = new EventConsumer<ConsumedEvent>({
      bus: this.bus,
      pool,
      schema,
      groupId: config.KAFKA_GROUP_ID,
      topics: [Topics.job, Topics.node, Topics.market],
      registry: new EventRegistry().include(jobEvents).include(nodeEvents).include(marketEvents),
      scope: this.deployment.scope,
      onRefused: (refused) => this.countRefused(refused),
      handler: (env, tx) => project.apply(env, new PgRoutingProjection(tx, schema)),
      fromBeginning: config.KAFKA_FROM_BEGINNING === 'true',
      logger,
    });
  }

  /** Counts the events the consumer refuses on `metrics` (starminer_events_refused_total). */
  countRefusedOn(metrics: Metrics): void {
    this.countRefused = metrics.countRefused(this.config.KAFKA_GROUP_ID);
  }

  leases(): Record<string, () => LeaseTenure> {
    return {
      'routing-planner': () => this.planLoop.status(),
      'outbox-relay': () => this.relay?.status() ?? NOT_STARTED,
    };
  }

  /**
   * GetRoutingPlan's answer: the plan the planner last acted on when this replica plans, else the
   * plan as of now from the shared read model.
   */
  async currentPlan(): Promise<PlanResult> {
    const last = this.planLoop.status().leader ? this.planner.lastPlan() : undefined;
    return last ?? this.planner.preview();
  }

  readiness(): ReadinessCheck[] {
    return [this.consumer.readiness()];
  }

  /** Everything that only needs the database: retried at boot until Postgres answers. */
  async prepare(): Promise<void> {
    await migrateRoutingTables(this.pool, this.config.DATABASE_SCHEMA);
  }

  async start(): Promise<void> {
    // The deployment's namespace may start empty: the job topic, where the relay sends the
    // proposals, must exist first (the consumer creates the topics it reads when it starts).
    await this.bus.ensureTopics(catalogueTopics([Topics.job]));
    this.producer = this.bus.producer();
    await this.producer.connect();
    this.relay = new OutboxRelay({
      pool: this.pool,
      leaseConnection: { connectionString: this.config.DATABASE_URL },
      schema: this.config.DATABASE_SCHEMA,
      producer: this.producer,
      logger: this.logger,
      pollIntervalMs: 250,
    });
    this.relay.start();
    await this.consumer.start();
    this.probe.start();
    this.running = true;
    this.planLoop.start();
  }

  /** A change (event, reachability) plans again soon, coalesced, instead of waiting for the timer. */
  private kick(): void {
    if (this.kicked || !this.running) return;
    this.kicked = true;
    setTimeout(() => {
      this.kicked = false;
      this.planLoop.wake();
    }, 100).unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.probe.stop();
    await this.planLoop.stop();
    await this.consumer.stop().catch(() => undefined);
    await this.relay?.stop().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
    this.matchmaker.close();
  }
}
