import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { readDeployments } from '@starminer/chain';
import { OutboxPublisher, PgLease, deploymentScope, marketEvents } from '@starminer/eventing';
import {
  JsonLogger,
  Leases,
  Metrics,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
  kafkaBusOptions,
  readRegionsFile,
  systemClock,
  type GrpcServiceRegistration,
} from '@starminer/service-kit';
import { pricingGrpcService } from './api/pricing.grpc';
import { PriceIndexQueries } from './app/price-index/price-index.queries';
import { LeaveUnservedRegionsHandler } from './app/leave-unserved-regions/leave-unserved-regions.handler';
import { QuoteHandler } from './app/quote/quote.handler';
import { RecordSignalHandler } from './app/record-signal/record-signal.handler';
import { RunTickHandler } from './app/run-tick/run-tick.handler';
import { type PricingConfig } from './config';
import { STRATEGIES } from './domain/strategy';
import { escrowEncoding } from './infra/escrow-encoding';
import { MarketRuntime } from './infra/market-runtime';
import { PgIssuedQuotes } from './infra/pg-issued-quotes';
import { PgMarket } from './infra/pg-market';
import { PgPriceIndex } from './infra/pg-price-index';
import { PgSignalLog } from './infra/pg-signal-log';
import { readPolicyFile } from './infra/policy-file';
import { WalletQuoteSigner } from './infra/quote-signer';

/**
 * Builds the service's object graph from the validated config. Plain constructors: each use
 * case gets exactly the repositories and ports it uses. The policy, deployments and regions files
 * are read here, so a bad one stops the service at boot with the file's own error.
 */
export class PricingComponents implements OnApplicationBootstrap, OnModuleDestroy {
  readonly grpc: GrpcServiceRegistration;
  readonly runtime: MarketRuntime;

  constructor(
    @Inject(SERVICE_CONFIG) config: PricingConfig,
    database: PostgresDatabase,
    logger: JsonLogger,
    readiness: Readiness,
    metrics: Metrics,
    leases: Leases,
  ) {
    const policy = readPolicyFile(config.PRICING_POLICY_FILE);
    const strategy = STRATEGIES[config.PRICING_STRATEGY](policy);
    const deployments = readDeployments(config.DEPLOYMENTS_FILE);
    const { regions } = readRegionsFile(config.REGIONS_FILE);
    const served = new Set(regions);
    const { origin, scope } = deploymentScope(deployments, { service: 'pricing', regions });
    const signer = new WalletQuoteSigner(config.PRICING_KEY, deployments);
    const { pool, schema } = database;
    const market = new PgMarket(
      pool,
      schema,
      strategy,
      new OutboxPublisher(schema, marketEvents, origin),
    );
    const recordSignal = new RecordSignalHandler(served);
    const tickerLease = new PgLease({
      name: 'price-ticker',
      schema,
      connection: { connectionString: config.DATABASE_URL },
      logger,
    });
    this.runtime = new MarketRuntime({
      pool,
      databaseUrl: config.DATABASE_URL,
      schema,
      bus: kafkaBusOptions(config, 'pricing'),
      groupId: config.PRICING_CONSUMER_GROUP,
      scope,
      onRefused: metrics.countRefused(config.PRICING_CONSUMER_GROUP),
      intervalMs: policy.intervalSeconds * 1000,
      tickerLease,
      leases,
      recordSignal: (env, tx) => recordSignal.handle(env, market.signalLog(tx)),
      leaveUnservedRegions: new LeaveUnservedRegionsHandler(market, systemClock, served),
      runTick: new RunTickHandler(market.fencedBy(tickerLease), strategy, systemClock),
      logger,
    });
    for (const check of this.runtime.readinessChecks()) readiness.register(check);
    this.grpc = pricingGrpcService({
      quote: new QuoteHandler(
        new PgSignalLog(pool, schema, strategy),
        policy,
        signer,
        escrowEncoding,
        new PgIssuedQuotes(pool, schema),
        systemClock,
        served,
      ),
      index: new PriceIndexQueries(new PgPriceIndex(pool, schema)),
      strategyId: strategy.id,
    });
    logger.info('pricing configured', {
      policy: policy.name,
      strategy: strategy.id,
      signer: signer.address,
      chainId: Number(signer.chainId),
      escrow: signer.escrow,
      deployment: origin.deploymentId,
      regions,
    });
  }

  onApplicationBootstrap(): void {
    this.runtime.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runtime.stop();
  }
}

/** The pricing service: Multi-Tier Pricing engine, signed quotes and the public price index. */
@Module({
  providers: [
    {
      provide: PricingComponents,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness, Metrics, Leases],
      useFactory: (
        config: PricingConfig,
        db: PostgresDatabase,
        logger: JsonLogger,
        readiness: Readiness,
        metrics: Metrics,
        leases: Leases,
      ) => new PricingComponents(config, db, logger, readiness, metrics, leases),
    },
  ],
})
export class PricingModule {}
