// A fresh StarMiner contract set on the shared chain, deployed and operated only by new random
// wallets, so a suite never shares a nonce or a role key with another. Funding a wallet with
// anvil_setBalance touches only that wallet: nothing is reverted or time-shifted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { deployProtocol, writeDeployments, type Deployments } from '@starminer/chain';

export interface FreshProtocol {
  provider: JsonRpcProvider;
  deployments: Deployments;
  /** A deployments file for services under test (DEPLOYMENTS_FILE). */
  deploymentsFile: string;
  /** The quote-signing key the escrow trusts. */
  pricingKey: Wallet;
  /** A new wallet with 100 ETH for gas. */
  fundedWallet(): Promise<Wallet>;
}

export async function deployFreshProtocol(
  rpcUrl: string,
  opts: { grants?: { to: string; amount: bigint }[] } = {},
): Promise<FreshProtocol> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  const fundedWallet = async () => {
    const w = new Wallet(Wallet.createRandom().privateKey, provider);
    await provider.send('anvil_setBalance', [w.address, `0x${parseEther('100').toString(16)}`]);
    return w;
  };
  const pricingKey = new Wallet(Wallet.createRandom().privateKey, provider);
  const role = () => Wallet.createRandom().address;
  const deployments = await deployProtocol({
    deployer: await fundedWallet(),
    roles: {
      admin: role(),
      quoteSigner: pricingKey.address,
      settler: role(),
      validator: role(),
      slasher: role(),
      treasury: role(),
    },
    grants: opts.grants ?? [],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starminer-protocol-'));
  const deploymentsFile = path.join(dir, 'deployments.json');
  writeDeployments(deploymentsFile, deployments);
  return { provider, deployments, deploymentsFile, pricingKey, fundedWallet };
}
