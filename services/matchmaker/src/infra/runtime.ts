import { readFileSync } from 'node:fs';
import { type Pool } from 'pg';
import { readDeployments } from '@starminer/chain';
import {
  catalogueTopics,
  deploymentScope,
  EventConsumer,
  KafkaJsBus,
  OutboxRelay,
  PgLease,
  starminerRegistry,
  Topics,
  type DeploymentScope,
  type DropReason,
  type Producer,
  type StarminerEvent,
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
  uuidV7Ids,
} from '@starminer/service-kit';
import { parseMatchingWeights } from '../domain/matching-weights';
import { ApplyEventsHandler } from '../app/apply-events/apply-events.handler';
import { CancelJobHandler } from '../app/cancel-job/cancel-job.handler';
import { MatchQueueHandler } from '../app/match-queue/match-queue.handler';
import { JobQueries } from '../app/queries/job-queries';
import { RerouteJobHandler } from '../app/reroute-job/reroute-job.handler';
import { parsePlacementWindows, setPlacementWindows } from '../app/match-queue/urgency-deadlines';
import { SubmitJobHandler } from '../app/submit-job/submit-job.handler';
import { TrackKubernetesHandler } from '../app/track-kubernetes/track-kubernetes.handler';
import { type MatchmakerConfig } from '../config';
import { RegionCluster } from './kube/region-cluster';
import { GrpcPricing } from './pricing/grpc-pricing';
import { GrpcReputation } from './reputation/grpc-reputation';
import { pgConsumedEventStore } from './postgres/consumed-event-store';
import { JobRepository } from './postgres/job-repository';
import { PgJobsReadModel } from './postgres/jobs-read-model';
import { PgMarketReads } from './postgres/market-read-model';
import { LeasedMatchLock } from './postgres/match-lock';
import { migrateMatchmaker } from './postgres/schema';
import { PgSubmissions } from './postgres/submissions';

/**
 * Wires the matchmaker: repositories, use cases, the regions' informers, the Kafka consumer of
 * node, market and chain events, the outbox relay, and the loop that matches, dispatches,
 * tracks and reconciles. Built once per process; started after Nest, stopped on shutdown.
 *
 * It belongs to one deployment (DEPLOYMENTS_FILE): its job events are stamped with it, and its
 * consumer applies only that deployment's events, each from its owning service, chain events only
 * from the deployment's contracts on its chain, node and price events only of the regions of
 * REGIONS_FILE. Anything else is dropped before it touches a job or the capacity read model, and
 * counted on `starminer_events_refused_total`.
 */
export class MatchmakerRuntime {
  readonly submit: SubmitJobHandler;
  readonly cancel: CancelJobHandler;
  readonly reroute: RerouteJobHandler;
  readonly queries: JobQueries;
  readonly matcher: MatchQueueHandler;
  readonly tracker: TrackKubernetesHandler;
  readonly clusters = new Map<string, RegionCluster>();
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<StarminerEvent>;
  private producer?: Producer;
  private relay?: OutboxRelay;
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastReconcile = 0;
  private readonly pricing: GrpcPricing;
  /** The `match-loop` lease: one replica of the deployment matches, the others stand by. */
  readonly matchLock: LeasedMatchLock;
  /** The deployment this matchmaker serves: the origin of its events and what it accepts. */
  readonly deployment: DeploymentScope;
  /** Counts a refused event (the service's Metrics, once the module has handed them over). */
  private countRefused: (refused: { topic: string; reason: DropReason }) => void = () => undefined;
  /** Provider scores from the reputation service, cached (tests read what matching sees). */
  readonly reputation: GrpcReputation;

  constructor(
    private readonly config: MatchmakerConfig,
    private readonly pool: Pool,
    private readonly logger: JsonLogger,
  ) {
    const schema = config.DATABASE_SCHEMA;
    const regions = readRegionsFile(config.REGIONS_FILE);
    const weights = parseMatchingWeights(
      config.MATCHING_WEIGHTS_FILE === '-'
        ? undefined
        : JSON.parse(readFileSync(config.MATCHING_WEIGHTS_FILE, 'utf8')),
    );
    this.deployment = deploymentScope(readDeployments(config.DEPLOYMENTS_FILE), {
      service: 'matchmaker',
      regions: regions.regions,
    });
    const jobs = new JobRepository(pool, schema, this.deployment.origin);
    const jobsReadModel = new PgJobsReadModel(pool, schema);
    const market = new PgMarketReads(pool, schema);
    for (const [region, path] of Object.entries(config.kubeconfigs)) {
      this.clusters.set(
        region,
        new RegionCluster(
          region,
          path,
          config.JOB_NAMESPACE,
          logger,
          config.KUBE_REQUEST_TIMEOUT_MS,
        ),
      );
    }
    this.pricing = new GrpcPricing(config.PRICING_GRPC_URL);
    this.matchLock = new LeasedMatchLock(
      new PgLease({
        name: 'match-loop',
        schema,
        connection: { connectionString: config.DATABASE_URL },
        logger,
      }),
    );
    this.submit = new SubmitJobHandler(
      jobs,
      new PgSubmissions(pool, schema, jobs),
      this.pricing,
      uuidV7Ids,
      {
        regions: regions.regions,
        maxDurationSeconds: config.MAX_JOB_DURATION_SECONDS,
        maxGpusPerJob: config.MAX_GPUS_PER_JOB,
        simulationAllowed: config.SIMULATION_ANNOTATIONS === 'true',
      },
    );
    this.cancel = new CancelJobHandler(jobs, this.clusters, systemClock);
    setPlacementWindows(parsePlacementWindows(config.PLACEMENT_WINDOWS));
    this.reroute = new RerouteJobHandler(jobs, regions, systemClock, market);
    this.queries = new JobQueries(jobsReadModel, jobs);
    this.reputation = new GrpcReputation({
      address: config.REPUTATION_GRPC_URL,
      ttlMs: config.REPUTATION_CACHE_TTL_MS,
      logger,
    });
    this.matcher = new MatchQueueHandler(
      {
        lock: this.matchLock,
        jobs,
        queue: jobsReadModel,
        market,
        clusters: this.clusters,
        regions,
        reputation: this.reputation,
        clock: systemClock,
        logger,
      },
      {
        weights,
        agingSecondsPerLevel: config.QUEUE_AGING_SECONDS_PER_LEVEL,
        simulation: config.SIMULATION_ANNOTATIONS === 'true',
        ttlSecondsAfterFinished: config.JOB_TTL_SECONDS_AFTER_FINISHED,
        matchAcrossRegions: config.MATCH_ACROSS_REGIONS === 'true',
      },
    );
    this.tracker = new TrackKubernetesHandler(
      jobs,
      jobsReadModel,
      this.clusters,
      systemClock,
      logger,
      config.ORPHAN_GRACE_MS,
    );
    const apply = new ApplyEventsHandler(systemClock, logger);
    this.bus = new KafkaJsBus({ ...kafkaBusOptions(config, 'matchmaker'), logger });
    this.consumer = new EventConsumer({
      bus: this.bus,
      pool,
      schema,
      groupId: config.KAFKA_GROUP_ID,
      topics: [Topics.node, Topics.market, Topics.chain],
      registry: starminerRegistry(),
      scope: this.deployment.scope,
      onRefused: (refused) => this.countRefused(refused),
      // Inbox row, job events (with their outbox rows) and read models: one transaction.
      handler: (env, tx) => apply.apply(env, pgConsumedEventStore(tx, schema, jobs)),
    });
  }

  /** Counts the events the consumer refuses on `metrics` (starminer_events_refused_total). */
  countRefusedOn(metrics: Metrics): void {
    this.countRefused = metrics.countRefused(this.config.KAFKA_GROUP_ID);
  }

  leases(): Record<string, () => LeaseTenure> {
    return {
      'match-loop': () => this.matchLock.status(),
      'outbox-relay': () => this.relay?.status() ?? NOT_STARTED,
    };
  }

  readiness(): ReadinessCheck[] {
    return [
      this.consumer.readiness(),
      {
        name: 'kubernetes',
        check: async () => {
          const away = [...this.clusters.values()]
            .filter((c) => !c.synced())
            .map((c) => `${c.region}: ${c.lastError ?? 'syncing'}`);
          if (away.length) throw new Error(`regions not synced: ${away.join('; ')}`);
        },
      },
    ];
  }

  /** Everything that only needs the database: retried at boot until Postgres answers. */
  async prepare(): Promise<void> {
    await migrateMatchmaker(this.pool, this.config.DATABASE_SCHEMA);
  }

  async start(): Promise<void> {
    // The deployment's namespace starts empty: the job topic must exist before the relay sends.
    await this.bus.ensureTopics(catalogueTopics([Topics.job]));
    this.producer = this.bus.producer();
    await this.producer.connect();
    this.relay = new OutboxRelay({
      pool: this.pool,
      leaseConnection: { connectionString: this.config.DATABASE_URL },
      schema: this.config.DATABASE_SCHEMA,
      producer: this.producer,
    });
    this.relay.start();
    await this.consumer.start();
    for (const c of this.clusters.values()) {
      c.onChange(() => this.kick());
      void c.start();
    }
    this.running = true;
    this.schedule();
  }

  private kicked = false;
  /** An informer change runs a tick soon (coalesced) instead of waiting for the timer. */
  private kick(): void {
    if (this.kicked || !this.running) return;
    this.kicked = true;
    setTimeout(() => {
      this.kicked = false;
      void this.tick();
    }, 50).unref();
  }

  private busy = false;
  private async tick(): Promise<void> {
    if (this.busy || !this.running) return;
    this.busy = true;
    try {
      await this.matcher.tick();
      await this.tracker.track();
      if (Date.now() - this.lastReconcile > this.config.RECONCILE_EVERY_MS) {
        this.lastReconcile = Date.now();
        await this.tracker.reconcile((id) => this.matcher.redispatch(id));
      }
    } catch (err) {
      this.logger.warn('matchmaker tick failed', { err });
    } finally {
      this.busy = false;
    }
  }

  private schedule(): void {
    this.timer = setInterval(() => void this.tick(), this.config.TICK_MS);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.matchLock.release().catch(() => undefined);
    await this.consumer.stop().catch(() => undefined);
    await this.relay?.stop().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
    await Promise.all([...this.clusters.values()].map((c) => c.stop()));
    this.pricing.close();
    this.reputation.close();
  }
}
