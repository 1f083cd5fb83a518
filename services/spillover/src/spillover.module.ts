import { Inject, Module } from '@nestjs/common';
import { backgroundRuntimeProviders, Metrics } from '@starminer/service-kit';
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
export class SpilloverModule {
  // Built before the application bootstraps, so before the runtime's consumer starts.
  constructor(
    @Inject(SpilloverRuntime) runtime: SpilloverRuntime,
    @Inject(Metrics) metrics: Metrics,
  ) {
    runtime.countRefusedOn(metrics);
  }
}
