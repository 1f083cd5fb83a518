import { Module } from '@nestjs/common';

/**
 * The registry service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; use cases, adapters and controllers are added here as they land.
 */
@Module({})
export class RegistryModule {}
