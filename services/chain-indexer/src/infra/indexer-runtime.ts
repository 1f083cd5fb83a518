import { type Pool } from 'pg';
import { type Deployments } from '@starminer/chain';
import { deploymentScope, type PgLease } from '@starminer/eventing';
import { ChainFollower, type FollowerLogger } from './chain-follower';
import { JsonRpcClient } from './json-rpc';
import { LogDecoder } from './log-decoder';
import { migrateChainIndexer } from './mirror-schema';
import { MirrorStore } from './mirror-store';

export interface IndexerSettings {
  pool: Pool;
  schema: string;
  rpcUrl: string;
  deployments: Deployments;
  confirmations: number;
  finalityDepth: number;
  batchBlocks: number;
  pollIntervalMs: number;
  rpcTimeoutMs: number;
  logger: FollowerLogger;
  /** The `chain-follower` lease, when replicas share the schema: only its holder follows. */
  lease?: PgLease;
}

export interface Indexer {
  rpc: JsonRpcClient;
  decoder: LogDecoder;
  store: MirrorStore;
  follower: ChainFollower;
}

/**
 * Wires the follower for one deployment: the same code path for the service, the runner script the
 * kill test starts, and the bench. Migrates the schema first; checks the node is the deployment's
 * chain. It follows only the deployment's contracts and stamps its events with the deployment.
 */
export async function buildIndexer(s: IndexerSettings): Promise<Indexer> {
  await migrateChainIndexer(s.pool, s.schema);
  const rpc = new JsonRpcClient(s.rpcUrl, s.rpcTimeoutMs);
  const chainId = await rpc.chainId();
  if (chainId !== s.deployments.chainId) {
    throw new Error(
      `CHAIN_RPC_URL serves chain ${chainId}, but the deployments file is for chain ${s.deployments.chainId}`,
    );
  }
  const decoder = new LogDecoder(chainId, s.deployments.contracts);
  // Its events are this deployment's, announced by the chain-indexer.
  const { origin } = deploymentScope(s.deployments, { service: 'chain-indexer' });
  const store = new MirrorStore(
    s.pool,
    s.schema,
    chainId,
    {
      jobEscrow: s.deployments.contracts.jobEscrow,
      rewardDistributor: s.deployments.contracts.rewardDistributor,
      addresses: Object.values(s.deployments.contracts),
    },
    origin,
    s.lease ? (tx) => s.lease!.fence(tx) : undefined,
  );
  const follower = new ChainFollower({
    rpc,
    decoder,
    store,
    deploymentBlock: s.deployments.deploymentBlock,
    confirmations: s.confirmations,
    finalityDepth: s.finalityDepth,
    batchBlocks: s.batchBlocks,
    pollIntervalMs: s.pollIntervalMs,
    logger: s.logger,
    lease: s.lease,
  });
  return { rpc, decoder, store, follower };
}
