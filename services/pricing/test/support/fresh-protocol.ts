// A fresh contract set on the shared anvil, deployed and operated only by new random wallets, so
// this suite never shares a nonce or a role with another suite. Funding a wallet with
// anvil_setBalance touches only that wallet; nothing is reverted or time-shifted.
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

export interface FreshProtocol {
  provider: JsonRpcProvider;
  deployments: Deployments;
  deploymentsFile: string;
  pricingKey: Wallet;
  client: Wallet;
  asClient: StarMinerContracts;
}

async function funded(provider: JsonRpcProvider): Promise<Wallet> {
  const w = Wallet.createRandom().connect(provider);
  await provider.send('anvil_setBalance', [w.address, `0x${parseEther('100').toString(16)}`]);
  return new Wallet(w.privateKey, provider);
}

export async function deployFreshProtocol(rpcUrl: string): Promise<FreshProtocol> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  const deployer = await funded(provider);
  const client = await funded(provider);
  const pricingKey = new Wallet(Wallet.createRandom().privateKey, provider);
  const role = () => Wallet.createRandom().address;
  const deployments = await deployProtocol({
    deployer,
    roles: {
      admin: role(),
      quoteSigner: pricingKey.address,
      settler: role(),
      validator: role(),
      slasher: role(),
      treasury: role(),
    },
    grants: [{ to: client.address, amount: 1_000_000n * 10n ** 18n }],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pricing-it-'));
  const deploymentsFile = path.join(dir, 'deployments.json');
  writeDeployments(deploymentsFile, deployments);
  const asClient = connectContracts(deployments, new NonceManager(client));
  await (await asClient.providerRegistry.registerClient()).wait();
  await (await asClient.agpu.approve(deployments.contracts.jobEscrow, 10n ** 30n)).wait();
  return { provider, deployments, deploymentsFile, pricingKey, client, asClient };
}
