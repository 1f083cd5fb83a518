// `npm run deploy -w @starminer/contracts [-- --out FILE]`: deploys the protocol and writes the deployments file.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import {
  DEV_CHAIN_ID,
  deployProtocol,
  devWallet,
  rpcProvider,
  writeDeployments,
} from '@starminer/chain';
import { ConfigError, loadDeployConfig, resolveRoles } from './config';

async function main(): Promise<void> {
  const config = loadDeployConfig();
  const provider = rpcProvider(config.rpcUrl, { pollingIntervalMs: 250 });
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch (err) {
    throw new ConfigError(
      `cannot reach CHAIN_RPC_URL=${config.rpcUrl}: ${(err as Error).message}. Is the chain up ('bash deploy/local/anvil.sh start')?`,
    );
  }
  const roles = resolveRoles(config, chainId, DEV_CHAIN_ID);
  const grants =
    chainId === DEV_CHAIN_ID && config.devGrantAgpu > 0n
      ? Array.from({ length: 10 }, (_, i) => ({
          to: devWallet(10 + i).address,
          amount: config.devGrantAgpu,
        }))
      : [];
  const deployments = await deployProtocol({
    deployer: new Wallet(config.deployerKey, provider),
    roles,
    parameters: config.parameters,
    grants,
    log: (msg) => console.log(msg),
  });
  fs.mkdirSync(path.dirname(config.outFile), { recursive: true });
  writeDeployments(config.outFile, deployments);
  console.log(
    JSON.stringify({
      msg: 'deployed',
      chainId,
      file: config.outFile,
      contracts: deployments.contracts,
    }),
  );
  provider.destroy();
}

main().catch((err: unknown) => {
  const e = err as { shortMessage?: string; message?: string };
  console.error(
    err instanceof ConfigError
      ? err.message
      : `deploy failed: ${e.shortMessage ?? e.message ?? String(err)}`,
  );
  process.exit(1);
});
