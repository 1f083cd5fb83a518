import { Module } from '@nestjs/common';
import { ChainIndexerRuntime } from './infra/chain-indexer-runtime';

/**
 * The chain-indexer service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; ChainIndexerRuntime runs the follower, the outbox relay and the
 * settlement signer, and holds the mirror queries the gRPC API serves.
 */
@Module({ providers: [ChainIndexerRuntime] })
export class ChainIndexerModule {}
