import { deploymentNodeLabel, verifyNodeIdentity } from '@starminer/node-identity';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { readDeployments } from '@starminer/chain';
import {
  catalogueTopics,
  deploymentScope,
  EventConsumer,
  KafkaJsBus,
  nodeEvents,
  OutboxPublisher,
  OutboxRelay,
  type Producer,
  type StarminerEvent,
  starminerRegistry,
  Topics,
} from '@starminer/eventing';
import {
  BackgroundStart,
  JsonLogger,
  kafkaBusOptions,
  Leases,
  Metrics,
  NOT_STARTED,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
  systemClock,
} from '@starminer/service-kit';
import { ApplyChainEventHandler } from '../app/apply-chain-event/apply-chain-event.handler';
import { ProviderStandings } from '../app/provider-standing/provider-standings';
import { QueryInventoryHandler } from '../app/query-inventory/query-inventory.handler';
import { NodeController } from '../app/reconcile-node/node-controller';
import { ReconcileNodeHandler } from '../app/reconcile-node/reconcile-node.handler';
import { type RegistryConfig } from '../config';
import { StakeReader } from './chain/stake-reader';
import { regionClient } from './kube/kube-client';
import { KubeRegionWatches } from './kube/kube-region-watches';
import { NodeRepository } from './postgres/node-repository';
import { PgUnitOfWork, registryWork, type RegistryTables } from './postgres/pg-unit-of-work';
import { ProviderRepository } from './postgres/provider-repository';
import { migrateRegistry } from './postgres/registry-schema';

/**
 * Builds and runs the registry's moving parts: the node controller (one watch per region), the
 * chain-event consumer, the periodic provider re-check and the outbox relay; stops them in
 * reverse order. Queries are served from the same Postgres tables.
 */
@Injectable()
export class RegistryRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly queries: QueryInventoryHandler;
  readonly controller: NodeController;
  private readonly nodes: NodeRepository;
  private readonly providers: ProviderRepository;
  private readonly standings: ProviderStandings;
  private readonly reader: StakeReader;
  private readonly bus: KafkaJsBus;
  private readonly consumer: EventConsumer<StarminerEvent>;
  private producer: Producer | undefined;
  private relay: OutboxRelay | undefined;
  private startup: BackgroundStart | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
    // Explicit tokens: the class also loads where no decorator metadata is emitted (tsx, esbuild).
    @Inject(PostgresDatabase) private readonly database: PostgresDatabase,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(Metrics) metrics: Metrics,
    @Inject(Leases) leases: Leases,
  ) {
    leases.register('outbox-relay', () => this.relay?.status() ?? NOT_STARTED);
    const { pool, schema } = database;
    const deployments = readDeployments(config.DEPLOYMENTS_FILE);
    // The registry publishes node events as 'registry' of its deployment and reads only chain
    // events (providers are checked in its own ProviderRegistry at admission): no region rule.
    const { origin, scope } = deploymentScope(deployments, { service: 'registry' });
    this.nodes = new NodeRepository(pool, schema);
    this.providers = new ProviderRepository(pool, schema);
    const tables: RegistryTables = {
      nodes: this.nodes,
      providers: this.providers,
      publisher: new OutboxPublisher(schema, nodeEvents, origin),
    };
    const transactions = new PgUnitOfWork(pool, tables);
    this.reader = new StakeReader(config.CHAIN_RPC_URL, deployments);
    this.standings = new ProviderStandings({
      providers: this.providers,
      chain: this.reader,
      transactions,
      logger,
      clock: systemClock,
      maxAgeMs: config.PROVIDER_MAX_AGE_MS,
      onActivationChanged: (address) => void this.requeueProvider(address),
    });
    this.controller = new NodeController({
      watches: new KubeRegionWatches(
        config.KUBE_REGIONS.map((r) => regionClient(r.region, r.kubeconfig)),
        {
          nodeLabelSelector: config.NODE_LABEL_SELECTOR,
          deployment: deploymentNodeLabel(deployments),
          logger,
        },
      ),
      handler: new ReconcileNodeHandler({
        transactions,
        standings: this.standings,
        signatures: { verify: verifyNodeIdentity },
        logger,
        clock: systemClock,
      }),
      nodes: this.nodes,
      logger,
      resyncIntervalMs: config.RESYNC_INTERVAL_MS,
      concurrency: config.RECONCILE_CONCURRENCY,
    });
    this.queries = new QueryInventoryHandler(this.nodes, this.providers);
    this.bus = new KafkaJsBus({ ...kafkaBusOptions(config, 'registry'), logger });
    const chain = new ApplyChainEventHandler(
      this.standings,
      this.providers,
      this.reader.addresses(),
      logger,
    );
    this.consumer = new EventConsumer({
      bus: this.bus,
      pool,
      schema,
      groupId: config.CONSUMER_GROUP,
      topics: [config.CHAIN_TOPIC],
      registry: starminerRegistry(),
      scope,
      onRefused: metrics.countRefused(config.CONSUMER_GROUP),
      logger,
      handler: (env, tx) => chain.handle(env, registryWork(tx, tables)),
    });
  }

  /** Boot does not wait for Postgres: readiness reports `startup` until it is reachable. */
  async onApplicationBootstrap(): Promise<void> {
    const { pool, schema } = this.database;
    this.startup = new BackgroundStart('startup', this.logger);
    this.readiness.register(this.startup.readiness());
    this.startup.run(
      () => migrateRegistry(pool, schema),
      () => this.startAfterMigrations(),
    );
  }

  private async startAfterMigrations(): Promise<void> {
    const { pool, schema } = this.database;
    // The deployment's namespace may be new: the node topic exists before anything is relayed.
    await this.bus.ensureTopics(catalogueTopics([Topics.node]));
    this.producer = this.bus.producer();
    await this.producer.connect();
    this.relay = new OutboxRelay({
      pool,
      leaseConnection: { connectionString: this.config.DATABASE_URL },
      schema,
      producer: this.producer,
      logger: this.logger,
      pollIntervalMs: 200,
    });
    this.relay.start();
    // The consumer creates the chain topic (and its dead-letter topic) in the namespace.
    await this.consumer.start();
    this.readiness.register(this.consumer.readiness());
    this.readiness.register({
      name: 'kubernetes-watches',
      check: async () => {
        const problems = this.controller.problems();
        if (problems.length) throw new Error(problems.join('; '));
      },
    });
    this.controller.start();
    this.recheckTimer = setInterval(
      () => void this.recheckProviders(),
      this.config.PROVIDER_RECHECK_INTERVAL_MS,
    );
    this.recheckTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.startup?.stop();
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    await this.controller.stop();
    await this.consumer.stop().catch(() => undefined);
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
    this.reader.destroy();
  }

  /** Re-reads on chain every provider that has nodes: withdraws them if the chain events lag. */
  private async recheckProviders(): Promise<void> {
    try {
      const providers = await this.providers.list();
      for (const p of providers)
        await this.standings
          .refresh(p.address)
          .catch((err: unknown) =>
            this.logger.warn('provider re-check failed', { provider: p.address, err }),
          );
    } catch (err) {
      this.logger.warn('provider re-check failed', { err });
    }
  }

  private async requeueProvider(address: string): Promise<void> {
    try {
      this.controller.requeue(await this.nodes.namesOfProvider(address));
    } catch (err) {
      this.logger.warn('could not requeue the nodes of a provider', { provider: address, err });
    }
  }
}
