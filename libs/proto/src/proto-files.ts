import path from 'node:path';

/**
 * The repository's proto/ directory: the include root for @grpc/proto-loader, so that
 * reflection describes services from the very files the TypeScript code was generated from.
 * Resolves the same from src/ (tests) and dist/ (built services): both sit two levels under libs/proto.
 */
export const protoRoot = path.resolve(__dirname, '../../../proto');

/** Proto file (relative to protoRoot) that declares each StarMiner service's gRPC API. */
export const serviceProtoFiles = {
  'chain-indexer': 'starminer/chain_indexer/v1/chain_indexer.proto',
  gateway: 'starminer/gateway/v1/gateway.proto',
  matchmaker: 'starminer/matchmaker/v1/matchmaker.proto',
  pricing: 'starminer/pricing/v1/pricing.proto',
  registry: 'starminer/registry/v1/registry.proto',
  reputation: 'starminer/reputation/v1/reputation.proto',
  spillover: 'starminer/spillover/v1/spillover.proto',
} as const;
