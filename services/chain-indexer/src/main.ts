import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { ChainIndexerModule } from './chain-indexer.module';
import { chainRpcReadinessCheck } from './infra/chain-rpc-readiness';

void bootstrapService({
  name: 'chain-indexer',
  loadConfig,
  module: ChainIndexerModule,
  readinessChecks: ({ config }) => [chainRpcReadinessCheck(config.CHAIN_RPC_URL)],
});
