import { Inject, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { readDeployments } from '@starminer/chain';
import { deploymentScope, KafkaJsBus } from '@starminer/eventing';
import {
  JsonLogger,
  kafkaBusOptions,
  Metrics,
  PostgresDatabase,
  Readiness,
  readRegionsFile,
  SERVICE_CONFIG,
  systemClock,
  uuidV7Ids,
} from '@starminer/service-kit';
import { Authenticator, RateLimits } from './app/authenticate';
import { JobUseCases } from './app/job-use-cases';
import { restRouter } from './api/rest.router';
import { type GatewayConfig } from './config';
import { perMinute } from './domain/token-bucket';
import { ApiKeyRepository } from './infra/api-keys';
import { GrpcDownstream } from './infra/downstream';
import { JobIndex } from './infra/job-index';
import { JobWatchHub } from './infra/job-watch-hub';
import { PostgresRateLimiter } from './infra/rate-limiter';
import { migrateGateway } from './infra/schema';
import { SiweSessions } from './infra/siwe-sessions';

/**
 * The gateway's object graph. Downstream services are not readiness checks: the gateway
 * serves templates, auth and key management while they are away, and answers
 * DOWNSTREAM_UNAVAILABLE for what needs them.
 */
export class GatewayComponents implements OnModuleDestroy {
  readonly router: ReturnType<typeof restRouter>;
  readonly hub: JobWatchHub;
  readonly downstream: GrpcDownstream;
  readonly siwe: SiweSessions;
  readonly jobs: JobUseCases;
  readonly auth: Authenticator;
  readonly ready: Promise<void>;

  constructor(
    @Inject(SERVICE_CONFIG) config: GatewayConfig,
    database: PostgresDatabase,
    logger: JsonLogger,
    readiness: Readiness,
    metrics: Metrics,
  ) {
    const { pool, schema } = database;
    const regions = readRegionsFile(config.REGIONS_FILE).regions;
    // Watches show the job events of the gateway's deployment only, each from its owning service.
    const { scope } = deploymentScope(readDeployments(config.DEPLOYMENTS_FILE), {
      service: 'gateway',
      regions,
    });
    this.downstream = new GrpcDownstream({
      matchmaker: config.MATCHMAKER_GRPC_URL,
      pricing: config.PRICING_GRPC_URL,
      chainIndexer: config.CHAIN_INDEXER_GRPC_URL,
    });
    this.hub = new JobWatchHub({
      pool,
      schema,
      bus: new KafkaJsBus({ ...kafkaBusOptions(config, 'gateway'), logger }),
      groupId: config.GATEWAY_WATCH_GROUP,
      scope,
      onRefused: metrics.countRefused(config.GATEWAY_WATCH_GROUP),
      logger,
    });
    readiness.register(this.hub.readiness());
    this.siwe = new SiweSessions(pool, schema, {
      domain: config.SIWE_DOMAIN,
      chainId: config.SIWE_CHAIN_ID,
      nonceTtlSeconds: config.SIWE_NONCE_TTL_SECONDS,
      sessionTtlSeconds: config.SESSION_TTL_SECONDS,
      rpcUrl: config.CHAIN_RPC_URL,
    });
    const index = new JobIndex(pool, schema);
    const keys = new ApiKeyRepository(pool, schema);
    this.auth = new Authenticator(keys, this.siwe);
    this.jobs = new JobUseCases(
      this.downstream,
      index,
      this.hub,
      regions,
      new RateLimits(new PostgresRateLimiter(pool, schema), {
        submit: perMinute(config.RATE_SUBMIT_PER_MINUTE, config.RATE_SUBMIT_BURST),
        stream: perMinute(config.RATE_STREAM_PER_MINUTE, config.RATE_STREAM_BURST),
      }),
      systemClock,
      uuidV7Ids,
    );
    this.router = restRouter({ jobs: this.jobs, auth: this.auth, keys, siwe: this.siwe });
    const hub = this.hub;
    this.ready = (async () => {
      await migrateGateway(pool, schema);
      await hub.start();
    })();
    this.ready.catch((err: unknown) => logger.error('gateway start failed', { err }));
  }

  async onModuleDestroy(): Promise<void> {
    await this.hub.stop().catch(() => undefined);
    this.siwe.close();
    this.downstream.close();
  }
}

/** The gateway service: auth, rate limits, the public REST API (and OpenAPI), job watches. */
@Module({
  providers: [
    {
      provide: GatewayComponents,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness, Metrics],
      useFactory: async (
        config: GatewayConfig,
        db: PostgresDatabase,
        logger: JsonLogger,
        readiness: Readiness,
        metrics: Metrics,
      ) => {
        const c = new GatewayComponents(config, db, logger, readiness, metrics);
        await c.ready.catch(() => undefined);
        return c;
      },
    },
  ],
})
export class GatewayModule implements OnModuleInit {
  constructor(
    private readonly components: GatewayComponents,
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
  ) {}

  /** Mounts the REST router on the Express app before Nest adds its not-found handler. */
  onModuleInit(): void {
    (this.adapter.httpAdapter.getInstance() as { use(h: unknown): void }).use(
      this.components.router,
    );
  }
}
