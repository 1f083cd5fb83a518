import fs from 'node:fs';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { readDeployments } from '@starminer/chain';
import { OutboxPublisher, reputationEvents } from '@starminer/eventing';
import {
  JsonLogger,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
  type GrpcServiceRegistration,
} from '@starminer/service-kit';
import { reputationGrpcService } from './api/reputation.grpc';
import { RecordEventHandler } from './app/record-event/record-event.handler';
import { RunEpochHandler } from './app/run-epoch/run-epoch.handler';
import { ScoreQueries } from './app/scores/score.queries';
import { type ReputationConfig } from './config';
import { EvidenceRepository } from './infra/evidence-repository';
import { readModelFile } from './infra/model-file';
import { ReputationRuntime } from './infra/reputation-runtime';
import { RewardEpochRepository } from './infra/reward-epoch-repository';
import { ChainIndexerRootPoster } from './infra/reward-root-poster';
import { ScoreRepository } from './infra/score-repository';

/**
 * Builds the service's object graph from the validated config. The model file (and, with epochs
 * enabled, the deployments file) is read here, so a bad one stops the service at boot.
 */
export class ReputationComponents implements OnApplicationBootstrap, OnModuleDestroy {
  readonly grpc: GrpcServiceRegistration;
  readonly runtime: ReputationRuntime;
  private readonly poster: ChainIndexerRootPoster | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) config: ReputationConfig,
    database: PostgresDatabase,
    logger: JsonLogger,
    readiness: Readiness,
  ) {
    const model = readModelFile(config.REPUTATION_MODEL_FILE);
    const { pool, schema } = database;
    const evidence = new EvidenceRepository(schema);
    const scores = new ScoreRepository(schema);
    const epochsEnabled =
      config.REPUTATION_EPOCH_SECONDS > 0 || fs.existsSync(config.DEPLOYMENTS_FILE);
    const deployments = epochsEnabled ? readDeployments(config.DEPLOYMENTS_FILE) : undefined;
    const poster = deployments
      ? new ChainIndexerRootPoster({
          chainIndexerAddress: config.CHAIN_INDEXER_GRPC_URL,
          rpcUrl: config.CHAIN_RPC_URL,
          deployments,
          timeoutMs: config.REPUTATION_ROOT_POST_TIMEOUT_MS,
        })
      : undefined;
    this.poster = poster;
    const runEpoch = poster
      ? new RunEpochHandler(
          pool,
          scores,
          evidence,
          new RewardEpochRepository(schema),
          poster,
          model,
          config.REPUTATION_EPOCH_BUDGET_BPS,
          `starminer.reputation.epoch:${schema}`,
        )
      : undefined;
    this.runtime = new ReputationRuntime({
      pool,
      databaseUrl: config.DATABASE_URL,
      schema,
      brokers: config.KAFKA_BROKERS.split(','),
      groupId: config.REPUTATION_CONSUMER_GROUP,
      recordEvent: new RecordEventHandler(
        evidence,
        scores,
        new OutboxPublisher(schema, reputationEvents),
        model,
        // stake and slashes count only from the Staking contract of the deployment rewards go to
        deployments && {
          chainId: String(deployments.chainId),
          address: deployments.contracts.staking,
        },
      ),
      runEpoch,
      epochIntervalMs: config.REPUTATION_EPOCH_SECONDS * 1000,
      logger,
    });
    for (const check of this.runtime.readinessChecks()) readiness.register(check);
    this.grpc = reputationGrpcService({
      scores: new ScoreQueries(pool, scores, evidence, model),
      epochs: runEpoch,
      thresholdBps: model.exclusionThresholdBps,
      distributor: poster?.distributor ?? '',
      chainId: poster?.chainId ?? 0n,
    });
    logger.info('reputation configured', {
      model: model.name,
      exclusionThresholdBps: model.exclusionThresholdBps,
      epochSeconds: config.REPUTATION_EPOCH_SECONDS,
      rewardDistributor: poster?.distributor,
      chainIndexer: poster && config.CHAIN_INDEXER_GRPC_URL,
      staking: deployments?.contracts.staking,
    });
  }

  onApplicationBootstrap(): void {
    this.runtime.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runtime.stop();
    this.poster?.close();
  }
}

/** The reputation service: provider scores from job, node and chain events; reward epochs. */
@Module({
  providers: [
    {
      provide: ReputationComponents,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness],
      useFactory: (
        config: ReputationConfig,
        db: PostgresDatabase,
        logger: JsonLogger,
        readiness: Readiness,
      ) => new ReputationComponents(config, db, logger, readiness),
    },
  ],
})
export class ReputationModule {}
