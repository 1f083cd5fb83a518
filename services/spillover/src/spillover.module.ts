import { Module } from '@nestjs/common';
import { backgroundRuntimeProviders } from '@starminer/service-kit';
import { type SpilloverConfig } from './config';
import { SpilloverRuntime } from './infra/spillover-runtime';

/**
 * The spillover service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; the runtime holds the read model, the planner and the probes.
 */
@Module({
  providers: backgroundRuntimeProviders(
    SpilloverRuntime,
    (config: SpilloverConfig, pool, logger) => new SpilloverRuntime(config, pool, logger),
  ),
})
export class SpilloverModule {}
