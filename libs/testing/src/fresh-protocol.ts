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
  /** The key holding SETTLER_ROLE on the escrow (the chain-indexer's SETTLER_PRIVATE_KEY). */
  settlerKey: Wallet;
  /** A new wallet with 100 ETH for gas. */
  fundedWallet(): Promise<Wallet>;
}

export async function deployFreshProtocol(
  rpcUrl: string,
  opts: {
    grants?: { to: string; amount: bigint }[];
    parameters?: Parameters<typeof deployProtocol>[0]['parameters'];
  } = {},
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
  // The settler sends transactions (settle, refund), so it gets gas money like a funded wallet.
  const settlerKey = new Wallet(Wallet.createRandom().privateKey, provider);
  await provider.send('anvil_setBalance', [
    settlerKey.address,
    `0x${parseEther('100').toString(16)}`,
  ]);
  const role = () => Wallet.createRandom().address;
  const deployments = await deployProtocol({
    deployer: await fundedWallet(),
    roles: {
      admin: role(),
      quoteSigner: pricingKey.address,
      settler: settlerKey.address,
      validator: role(),
      slasher: role(),
      treasury: role(),
    },
    grants: opts.grants ?? [],
    parameters: opts.parameters,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starminer-protocol-'));
  const deploymentsFile = path.join(dir, 'deployments.json');
  writeDeployments(deploymentsFile, deployments);
  return { provider, deployments, deploymentsFile, pricingKey, settlerKey, fundedWallet };
}
