import { bootstrapService } from '@starminer/service-kit';
import { chainIndexerGrpcService } from './api/chain-indexer.grpc';
import { loadConfig } from './config';
import { ChainIndexerModule } from './chain-indexer.module';
import { chainRpcReadinessCheck } from './infra/chain-rpc-readiness';
import { ChainIndexerRuntime } from './infra/chain-indexer-runtime';

void bootstrapService({
  name: 'chain-indexer',
  loadConfig,
  module: ChainIndexerModule,
  readinessChecks: ({ config }) => [chainRpcReadinessCheck(config.CHAIN_RPC_URL)],
  grpcServices: (app) => {
    const runtime = app.get(ChainIndexerRuntime);
    return [chainIndexerGrpcService(runtime.queries, runtime.balances, runtime.rewardRoots)];
  },
});
