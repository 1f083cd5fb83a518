import { Module } from '@nestjs/common';
import { backgroundRuntimeProviders } from '@starminer/service-kit';
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
export class MatchmakerModule {}
