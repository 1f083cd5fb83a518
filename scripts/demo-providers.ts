// Onboards the local stack's GPU providers: each registers on chain, stakes the minimum, and
// joins its nodes with `starminer node join` (the same command a node operator runs).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { NonceManager, Wallet, type JsonRpcProvider } from 'ethers';
import { connectContracts, devWallet, toBytes32, type Deployments } from '@starminer/chain';
import { regionKubeconfig, stackRegions } from '@starminer/testing';

const root = path.resolve(__dirname, '..');
/** Dev accounts that own the simulated pools (deploy/local/gpu-nodes.yaml). */
export const PROVIDER_ACCOUNTS = [6, 7, 8];
/** A dev account the deploy command granted AGPU to; it funds the providers' stake. */
const TREASURY_ACCOUNT = 10;

/** Registers and stakes the providers on `d`, then joins their nodes to it (`deploymentsFile` is d's file). */
export async function onboardProviders(
  d: Deployments,
  deploymentsFile: string,
  chain: JsonRpcProvider,
): Promise<string[]> {
  const funder = connectContracts(d, new NonceManager(devWallet(TREASURY_ACCOUNT, chain)));
  const minStake = BigInt(d.parameters.minStake);
  const lines: string[] = [];
  for (const index of PROVIDER_ACCOUNTS) {
    const wallet = new Wallet(devWallet(index).privateKey, chain);
    const me = connectContracts(d, new NonceManager(wallet));
    await (await funder.agpu.transfer(wallet.address, minStake)).wait();
    await (
      await me.providerRegistry.registerProvider(`ipfs://starminer-demo/provider-${index}`, [
        toBytes32('us-east'),
        toBytes32('eu-west'),
        toBytes32('ap-south'),
      ])
    ).wait();
    await (await me.agpu.approve(d.contracts.staking, minStake)).wait();
    await (await me.staking.stake(minStake)).wait();
    lines.push(`provider ${wallet.address.toLowerCase()} registered and staked`);
  }
  for (const region of stackRegions()) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(regionKubeconfig(region));
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode({
      labelSelector: 'starminer.io/provider',
    });
    for (const node of nodes.items) {
      const owner = node.metadata!.labels!['starminer.io/provider']!;
      const index = PROVIDER_ACCOUNTS.find((i) => devWallet(i).address.toLowerCase() === owner);
      if (index === undefined) continue;
      execFileSync(
        'node',
        [
          path.join(root, 'cli/dist/main.js'),
          'node',
          'join',
          '--region',
          region,
          '--node',
          node.metadata!.name!,
          '--kubeconfig',
          regionKubeconfig(region),
          '--deployments',
          deploymentsFile,
          '--json',
        ],
        { env: { ...process.env, STARMINER_PROVIDER_KEY: devWallet(index).privateKey } },
      );
    }
    lines.push(`${nodes.items.length} GPU nodes joined in ${region}`);
  }
  return lines;
}
