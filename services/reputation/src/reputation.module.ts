import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { readDeployments } from '@starminer/chain';
import { OutboxPublisher, deploymentScope, reputationEvents } from '@starminer/eventing';
import {
  JsonLogger,
  Leases,
  Metrics,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
  kafkaBusOptions,
  readRegionsFile,
  type GrpcServiceRegistration,
} from '@starminer/service-kit';
import { reputationGrpcService } from './api/reputation.grpc';
import { RecordEventHandler } from './app/record-event/record-event.handler';
import { RewardProofQueries } from './app/reward-proof/reward-proof.queries';
import { RunEpochHandler } from './app/run-epoch/run-epoch.handler';
import { ScoreQueries } from './app/scores/score.queries';
import { type ReputationConfig } from './config';
import { merkleRewardTrees } from './infra/merkle-reward-trees';
import { readModelFile } from './infra/model-file';
import { PgEpochRuns } from './infra/pg-epoch-runs';
import { PgEvidence } from './infra/pg-evidence';
import { asConsumerError, pgReputationStore } from './infra/pg-reputation-store';
import { PgRewardEpochs } from './infra/pg-reward-epochs';
import { PgScores } from './infra/pg-scores';
import { ReputationRuntime } from './infra/reputation-runtime';
import { ChainIndexerRootPoster } from './infra/reward-root-poster';

/**
 * Builds the service's object graph from the validated config. The model, deployments and regions
 * files are read here, so a bad one stops the service at boot.
 */
export class ReputationComponents implements OnApplicationBootstrap, OnModuleDestroy {
  readonly grpc: GrpcServiceRegistration;
  readonly runtime: ReputationRuntime;
  private readonly poster: ChainIndexerRootPoster;

  constructor(
    @Inject(SERVICE_CONFIG) config: ReputationConfig,
    database: PostgresDatabase,
    logger: JsonLogger,
    readiness: Readiness,
    metrics: Metrics,
    leases: Leases,
  ) {
    const model = readModelFile(config.REPUTATION_MODEL_FILE);
    const { pool, schema } = database;
    const deployments = readDeployments(config.DEPLOYMENTS_FILE);
    const { regions } = readRegionsFile(config.REGIONS_FILE);
    const { origin, scope } = deploymentScope(deployments, { service: 'reputation', regions });
    const poster = new ChainIndexerRootPoster({
      chainIndexerAddress: config.CHAIN_INDEXER_GRPC_URL,
      rpcUrl: config.CHAIN_RPC_URL,
      deployments,
      timeoutMs: config.REPUTATION_ROOT_POST_TIMEOUT_MS,
    });
    this.poster = poster;
    const runEpoch = new RunEpochHandler(
      new PgEpochRuns(pool, schema, `starminer.reputation.epoch:${schema}`),
      poster,
      merkleRewardTrees,
      model,
      config.REPUTATION_EPOCH_BUDGET_BPS,
    );
    const recordEvent = new RecordEventHandler(
      model,
      // stake and slashes count only from the Staking contract of the deployment rewards go to
      { chainId: String(deployments.chainId), address: deployments.contracts.staking },
    );
    const outbox = new OutboxPublisher(schema, reputationEvents, origin);
    this.runtime = new ReputationRuntime({
      leases,
      pool,
      databaseUrl: config.DATABASE_URL,
      schema,
      bus: kafkaBusOptions(config, 'reputation'),
      groupId: config.REPUTATION_CONSUMER_GROUP,
      scope,
      onRefused: metrics.countRefused(config.REPUTATION_CONSUMER_GROUP),
      recordEvent: (env, tx) =>
        recordEvent.handle(env, pgReputationStore(tx, schema, outbox)).catch(asConsumerError),
      runEpoch,
      epochIntervalMs: config.REPUTATION_EPOCH_SECONDS * 1000,
      logger,
    });
    for (const check of this.runtime.readinessChecks()) readiness.register(check);
    this.grpc = reputationGrpcService({
      scores: new ScoreQueries(new PgScores(pool, schema), new PgEvidence(pool, schema), model),
      proofs: new RewardProofQueries(new PgRewardEpochs(pool, schema), merkleRewardTrees),
      thresholdBps: model.exclusionThresholdBps,
      distributor: poster.distributor,
      chainId: poster.chainId,
    });
    logger.info('reputation configured', {
      model: model.name,
      exclusionThresholdBps: model.exclusionThresholdBps,
      epochSeconds: config.REPUTATION_EPOCH_SECONDS,
      rewardDistributor: poster.distributor,
      chainIndexer: config.CHAIN_INDEXER_GRPC_URL,
      staking: deployments.contracts.staking,
      deployment: origin.deploymentId,
      regions,
    });
  }

  onApplicationBootstrap(): void {
    this.runtime.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runtime.stop();
    this.poster.close();
  }
}

/** The reputation service: provider scores from job, node and chain events; reward epochs. */
@Module({
  providers: [
    {
      provide: ReputationComponents,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness, Metrics, Leases],
      useFactory: (
        config: ReputationConfig,
        db: PostgresDatabase,
        logger: JsonLogger,
        readiness: Readiness,
        metrics: Metrics,
        leases: Leases,
      ) => new ReputationComponents(config, db, logger, readiness, metrics, leases),
    },
  ],
})
export class ReputationModule {}
