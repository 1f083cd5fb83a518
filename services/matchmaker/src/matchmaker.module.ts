import { Inject, Module } from '@nestjs/common';
import { backgroundRuntimeProviders, Metrics } from '@starminer/service-kit';
import { type MatchmakerConfig } from './config';
import { MatchmakerRuntime } from './infra/runtime';

/**
 * The matchmaker service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; the runtime holds the use cases and adapters.
 */
@Module({
  providers: backgroundRuntimeProviders(
    MatchmakerRuntime,
    (config: MatchmakerConfig, pool, logger) => new MatchmakerRuntime(config, pool, logger),
  ),
})
export class MatchmakerModule {
  // Built before the application bootstraps, so before the runtime's consumer starts.
  constructor(
    @Inject(MatchmakerRuntime) runtime: MatchmakerRuntime,
    @Inject(Metrics) metrics: Metrics,
  ) {
    runtime.countRefusedOn(metrics);
  }
}
