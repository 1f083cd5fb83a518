import { type DynamicModule, Module } from '@nestjs/common';
import { type ServiceConfig } from './config/service-config';
import { HealthController } from './http/health.controller';
import { LeasesController } from './http/leases.controller';
import { MetricsController } from './http/metrics.controller';
import { JsonLogger } from './logging/json-logger';
import { Metrics } from './metrics/metrics';
import { PostgresDatabase } from './readiness/postgres-database';
import { Readiness } from './readiness/readiness';
import { Leases } from './runtime/leases';

/** Injection token of the service's validated config object (typed by each service). */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

export interface KitDependencies {
  config: ServiceConfig;
  logger: JsonLogger;
  database: PostgresDatabase;
  readiness: Readiness;
  metrics: Metrics;
  leases: Leases;
}

/**
 * Global module holding what the bootstrap built before Nest started (config, logger, database,
 * readiness, metrics, leases) so services inject them by class, plus the health, metrics and leases endpoints.
 */
@Module({})
export class ServiceKitModule {
  static forRoot(deps: KitDependencies): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthController, MetricsController, LeasesController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: deps.config },
        { provide: JsonLogger, useValue: deps.logger },
        { provide: PostgresDatabase, useValue: deps.database },
        { provide: Readiness, useValue: deps.readiness },
        { provide: Metrics, useValue: deps.metrics },
        { provide: Leases, useValue: deps.leases },
      ],
      exports: [SERVICE_CONFIG, JsonLogger, PostgresDatabase, Readiness, Metrics, Leases],
    };
  }
}
