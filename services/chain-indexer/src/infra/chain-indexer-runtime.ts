import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { readDeployments, type Deployments } from '@starminer/chain';
import {
  catalogueTopics,
  deploymentScope,
  type EventScope,
  EventConsumer,
  KafkaJsBus,
  OutboxRelay,
  PgLease,
  quoteSchema,
  SingletonLoop,
  Topics,
  type Producer,
  starminerRegistry,
  type StarminerEvent,
} from '@starminer/eventing';
import {
  JsonLogger,
  kafkaBusOptions,
  Leases,
  Metrics,
  NOT_STARTED,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
} from '@starminer/service-kit';
import { GetBalancesHandler } from '../app/get-balances/get-balances.handler';
import { PostRewardRootHandler } from '../app/post-reward-root/post-reward-root.handler';
import { MirrorQueries } from '../app/query-mirror/mirror-queries';
import { RecordSettlementIntentHandler } from '../app/settle-job/record-intent.handler';
import { type ChainIndexerConfig, DEV_SETTLER_KEY } from '../config';
import { AccountBalancesReader } from './account-balances-reader';
import { type ChainFollower } from './chain-follower';
import { buildIndexer } from './indexer-runtime';
import { chainJobIds } from './job-ids';
import { JsonRpcClient } from './json-rpc';
import { migrateChainIndexer } from './mirror-schema';
import { PgMirrorReader } from './pg-mirror-reader';
import { PgRewardRootRequests } from './pg-reward-root-requests';
import { recordSettlementIntents } from './pg-settlement-intents';
import { RewardRootSigner } from './reward-root-signer';
import { SettlementSigner } from './settlement-signer';

/**
 * Builds and runs the chain-indexer's parts: the follower (mirror + outbox), the outbox relay to
 * starminer.chain.v1, and the settlement signer (job-event consumer recording intents, and the
 * signer sending from them). CHAIN_INDEXER_MODE can split follower and signer into two processes.
 * Every replica serves the queries and consumes; the follower runs on the holder of the schema's
 * `chain-follower` lease and the signers (settlements and reward roots, one key and one nonce
 * sequence) on the holder of `chain-signer`, each write fenced by its lease.
 */
@Injectable()
export class ChainIndexerRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly queries: MirrorQueries;
  readonly balances: GetBalancesHandler;
  /** PostRewardRoot: records reward roots the signer posts to the RewardDistributor. */
  readonly rewardRoots: PostRewardRootHandler;
  private readonly deployments: Deployments;
  /** What the settlement consumer accepts: job events of this deployment, from the matchmaker. */
  private readonly scope: EventScope;
  private readonly bus: KafkaJsBus;
  private follower: ChainFollower | undefined;
  private producer: Producer | undefined;
  private relay: OutboxRelay | undefined;
  private consumer: EventConsumer<StarminerEvent> | undefined;
  private signer: SettlementSigner | undefined;
  private signerLoop: SingletonLoop | undefined;
  private readonly followerLease: PgLease;
  private readonly signerLease: PgLease;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ChainIndexerConfig,
    private readonly database: PostgresDatabase,
    private readonly logger: JsonLogger,
    private readonly readiness: Readiness,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(Leases) leases: Leases,
  ) {
    const lease = (name: string) =>
      new PgLease({
        name,
        schema: database.schema,
        connection: { connectionString: config.DATABASE_URL },
        logger,
      });
    this.followerLease = lease('chain-follower');
    this.signerLease = lease('chain-signer');
    if (config.CHAIN_INDEXER_MODE !== 'signer') {
      leases.register('chain-follower', () => this.followerLease.tenure());
      leases.register('outbox-relay', () => this.relay?.status() ?? NOT_STARTED);
    }
    if (config.CHAIN_INDEXER_MODE !== 'follower')
      leases.register('chain-signer', () => this.signerLoop?.status() ?? NOT_STARTED);
    this.deployments = readDeployments(config.DEPLOYMENTS_FILE);
    // The mirror's outbox stamps the same origin ('chain-indexer' of this deployment): buildIndexer
    // derives it from the deployments, as every follower (service, runner, bench) does.
    this.scope = deploymentScope(this.deployments, { service: 'chain-indexer' }).scope;
    this.queries = new MirrorQueries(
      new PgMirrorReader(database.pool, database.schema),
      BigInt(this.deployments.parameters.minStake),
    );
    this.balances = new GetBalancesHandler(
      this.queries,
      new AccountBalancesReader(
        new JsonRpcClient(config.CHAIN_RPC_URL, config.CHAIN_RPC_TIMEOUT_MS),
        this.deployments.contracts,
      ),
    );
    this.rewardRoots = new PostRewardRootHandler(
      new PgRewardRootRequests(database.pool, database.schema),
      this.deployments.contracts.rewardDistributor,
      this.deployments.chainId,
    );
    this.bus = new KafkaJsBus({ ...kafkaBusOptions(config, 'chain-indexer'), logger });
  }

  private stopped = false;
  private startError: string | undefined;
  private readonly started = { follower: false, relay: false, consumer: false, signer: false };

  onApplicationBootstrap(): void {
    const c = this.config;
    if (c.SETTLER_PRIVATE_KEY === DEV_SETTLER_KEY && this.deployments.chainId !== 31337) {
      throw new Error(
        'SETTLER_PRIVATE_KEY is the public anvil dev key: refused on a chain other than 31337',
      );
    }
    const follow = c.CHAIN_INDEXER_MODE !== 'signer';
    const sign = c.CHAIN_INDEXER_MODE !== 'follower';
    // Registered before anything is reachable: the service starts without its dependencies and
    // reports not ready (naming what it waits for) until the background start completes.
    if (follow) {
      this.readiness.register({
        name: 'chain-follower',
        check: () =>
          this.follower
            ? this.follower.readiness().check()
            : Promise.reject(new Error(`not started: ${this.startError ?? 'starting'}`)),
      });
    }
    if (sign) {
      this.readiness.register({
        name: 'settlement-signer',
        check: () =>
          this.consumer && this.started.signer
            ? this.consumer.readiness().check()
            : Promise.reject(new Error(`not started: ${this.startError ?? 'starting'}`)),
      });
    }
    void this.startWithRetry(follow, sign);
  }

  /** Starts each part once; a part whose dependency is down is retried with backoff. */
  private async startWithRetry(follow: boolean, sign: boolean): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.startParts(follow, sign);
        this.startError = undefined;
        return;
      } catch (err) {
        this.startError = (err as Error).message;
        this.logger.warn('chain-indexer could not start yet; retrying', { err, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }

  private async startParts(follow: boolean, sign: boolean): Promise<void> {
    const { pool, schema } = this.database;
    const c = this.config;
    await migrateChainIndexer(pool, schema);
    if (follow && !this.started.follower) {
      const ix = await buildIndexer({
        pool,
        schema,
        rpcUrl: c.CHAIN_RPC_URL,
        deployments: this.deployments,
        confirmations: c.CHAIN_CONFIRMATIONS,
        finalityDepth: c.CHAIN_FINALITY_DEPTH,
        batchBlocks: c.CHAIN_BATCH_BLOCKS,
        pollIntervalMs: c.CHAIN_POLL_INTERVAL_MS,
        rpcTimeoutMs: c.CHAIN_RPC_TIMEOUT_MS,
        logger: this.logger,
        lease: this.followerLease,
      });
      if (this.stopped) return;
      this.follower = ix.follower;
      ix.follower.start();
      this.started.follower = true;
    }
    if (follow && !this.started.relay) {
      // The deployment's namespace may be new: the chain topic exists before anything is relayed.
      await this.bus.ensureTopics(catalogueTopics([Topics.chain]));
      this.producer ??= this.bus.producer();
      await this.producer.connect();
      if (this.stopped) return;
      this.relay = new OutboxRelay({
        pool,
        leaseConnection: {
          connectionString: c.DATABASE_URL,
          options: `-c search_path=${schema},public`,
        },
        schema,
        producer: this.producer,
        logger: this.logger,
        pollIntervalMs: 200,
      });
      this.relay.start();
      this.started.relay = true;
    }
    if (sign && !this.started.consumer) {
      const record = new RecordSettlementIntentHandler(chainJobIds);
      // start() creates the job topic and its dead-letter topic in the namespace.
      this.consumer = new EventConsumer({
        bus: this.bus,
        pool,
        schema,
        groupId: c.SETTLEMENT_CONSUMER_GROUP,
        topics: [Topics.job],
        registry: starminerRegistry(),
        scope: this.scope,
        onRefused: this.metrics.countRefused(c.SETTLEMENT_CONSUMER_GROUP),
        logger: this.logger,
        handler: recordSettlementIntents(record, schema),
      });
      await this.consumer.start();
      this.started.consumer = true;
    }
    if (sign && !this.started.signer && !this.stopped) {
      const signer = new SettlementSigner({
        pool,
        schema,
        rpcUrl: c.CHAIN_RPC_URL,
        deployments: this.deployments,
        privateKey: c.SETTLER_PRIVATE_KEY,
        bumpAfterMs: c.SETTLEMENT_BUMP_AFTER_MS,
        logger: this.logger,
        fence: (tx) => this.signerLease.fence(tx),
      });
      // Same key and nonce sequence: reward roots are signed by the one chain signer too.
      const rootSigner = new RewardRootSigner({
        pool,
        s: quoteSchema(schema),
        deployments: this.deployments,
        signer: signer.signer,
        bumpAfterMs: c.SETTLEMENT_BUMP_AFTER_MS,
        logger: this.logger,
      });
      this.signer = signer;
      this.signerLoop = new SingletonLoop({
        name: 'chain-signer',
        lease: this.signerLease,
        intervalMs: c.SETTLEMENT_POLL_INTERVAL_MS,
        // Both run each pass; a failure of one does not hold the other back.
        pass: async () => {
          const results = await Promise.allSettled([signer.pass(), rootSigner.pass()]);
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        },
        logger: this.logger,
      });
      this.signerLoop.start();
      this.started.signer = true;
      this.logger.info('settlement signer started', { settler: signer.address });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.follower?.stop();
    await this.followerLease.release();
    await this.signerLoop?.stop();
    this.signer?.close();
    await this.consumer?.stop().catch(() => undefined);
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
  }
}
