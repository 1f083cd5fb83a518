import { Module } from '@nestjs/common';
import { RegistryRuntime } from './infra/registry-runtime';

/**
 * The registry service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; RegistryRuntime runs the node controller, the chain consumer and
 * the outbox relay, and holds the inventory queries the gRPC API serves.
 */
@Module({ providers: [RegistryRuntime] })
export class RegistryModule {}
