// A fresh StarMiner contract set on the stack's anvil whose role keys the test holds: the
// settler key (also VALIDATOR_ROLE, as on the local stack: the chain-indexer is the one chain
// signer for settlements and reward roots), the slasher key, and a funder with AGPU. Started
// in-process, the real chain-indexer follows it, publishes its events and signs with the settler.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, NonceManager, Wallet, parseEther } from 'ethers';
import {
  connectContracts,
  deployProtocol,
  writeDeployments,
  type Deployments,
  type StarMinerContracts,
} from '@starminer/chain';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, waitUntil } from '@starminer/testing';
import { chainIndexerGrpcService } from '../../../chain-indexer/src/api/chain-indexer.grpc';
import { ChainIndexerModule } from '../../../chain-indexer/src/chain-indexer.module';
import { loadConfig as loadIndexerConfig } from '../../../chain-indexer/src/config';
import { ChainIndexerRuntime } from '../../../chain-indexer/src/infra/chain-indexer-runtime';

export const AGPU = 10n ** 18n;

export interface FreshChain {
  rpc: JsonRpcProvider;
  deployments: Deployments;
  deploymentsFile: string;
  settler: Wallet;
  slasher: Wallet;
  /** Holds 1,000,000 AGPU. */
  funder: StarMinerContracts;
  funderAddress: string;
  fundedWallet(): Promise<Wallet>;
  /** Contracts connected with `wallet` (nonces counted locally). */
  as(wallet: Wallet): StarMinerContracts;
}

export async function freshChain(): Promise<FreshChain> {
  const rpc = new JsonRpcProvider(requireStackVar('CHAIN_RPC_URL'), undefined, {
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  const fundedWallet = async () => {
    const w = Wallet.createRandom();
    await rpc.send('anvil_setBalance', [w.address, `0x${parseEther('100').toString(16)}`]);
    return new Wallet(w.privateKey, rpc);
  };
  const [deployer, settler, slasher, funderWallet] = await Promise.all([
    fundedWallet(),
    fundedWallet(),
    fundedWallet(),
    fundedWallet(),
  ]);
  const role = () => Wallet.createRandom().address;
  const deployments = await deployProtocol({
    deployer,
    roles: {
      admin: role(),
      quoteSigner: role(),
      settler: settler.address,
      validator: settler.address,
      slasher: slasher.address,
      treasury: role(),
    },
    grants: [{ to: funderWallet.address, amount: 1_000_000n * AGPU }],
  });
  const deploymentsFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'reputation-chain-')),
    'deployments.json',
  );
  writeDeployments(deploymentsFile, deployments);
  const as = (w: Wallet) => connectContracts(deployments, new NonceManager(w));
  return {
    rpc,
    deployments,
    deploymentsFile,
    settler,
    slasher,
    funder: as(funderWallet),
    funderAddress: funderWallet.address,
    fundedWallet,
    as,
  };
}

/**
 * The chain-indexer service in this process, in this test file's Kafka namespace: its own schema
 * and settlement consumer group.
 */
export async function startChainIndexer(opts: {
  chain: FreshChain;
  runId: string;
}): Promise<RunningService> {
  const config = loadIndexerConfig({
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: `rep_ci_${opts.runId}`,
    CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
    DEPLOYMENTS_FILE: opts.chain.deploymentsFile,
    // the shared anvil mines only when someone sends: do not wait for blocks on top
    CHAIN_CONFIRMATIONS: '0',
    CHAIN_POLL_INTERVAL_MS: '200',
    SETTLER_PRIVATE_KEY: opts.chain.settler.privateKey,
    SETTLEMENT_CONSUMER_GROUP: `rep-ci-settle-${opts.runId}`,
    SETTLEMENT_POLL_INTERVAL_MS: '200',
  });
  const service = await startService(
    {
      name: 'chain-indexer',
      loadConfig: () => config,
      module: ChainIndexerModule,
      grpcServices: (app) => {
        const runtime = app.get(ChainIndexerRuntime);
        return [chainIndexerGrpcService(runtime.queries, runtime.balances, runtime.rewardRoots)];
      },
    },
    config,
    new JsonLogger({ service: 'chain-indexer', level: 'error' }),
  );
  await waitUntil(
    'chain-indexer ready',
    async () =>
      (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).ok ? true : undefined,
    { timeoutMs: 90_000 },
  );
  return service;
}
