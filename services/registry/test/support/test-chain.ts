import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  connectContracts,
  deployProtocol,
  type Deployments,
  rpcProvider,
  writeDeployments,
} from '@starminer/chain';
import { requireStackVar } from '@starminer/testing';
import { encodeBytes32String, id, NonceManager, parseUnits, toBeHex, Wallet } from 'ethers';

export const AGPU = (n: number): bigint => parseUnits(String(n), 18);

/**
 * A fresh protocol deployment on the shared anvil, by fresh wallets funded with anvil_setBalance,
 * so parallel suites never share nonces or contracts. Minimum stake is 100 AGPU.
 */
export class TestChain {
  readonly provider = rpcProvider(requireStackVar('CHAIN_RPC_URL'), { pollingIntervalMs: 100 });
  readonly slasher = new Wallet(Wallet.createRandom().privateKey, this.provider);
  deployments!: Deployments;
  deploymentsFile!: string;

  async deploy(providers: Wallet[]): Promise<void> {
    const deployer = new Wallet(Wallet.createRandom().privateKey, this.provider);
    for (const w of [deployer, this.slasher, ...providers])
      await this.provider.send('anvil_setBalance', [w.address, toBeHex(10n ** 20n)]);
    const rand = () => Wallet.createRandom().address;
    this.deployments = await deployProtocol({
      deployer,
      roles: {
        admin: rand(),
        quoteSigner: rand(),
        settler: rand(),
        validator: rand(),
        slasher: this.slasher.address,
        treasury: rand(),
      },
      parameters: {
        minStake: AGPU(100),
        unbondingDelaySeconds: 100,
        initialSupply: AGPU(1_000_000),
      },
      grants: providers.map((p) => ({ to: p.address, amount: AGPU(10_000) })),
    });
    this.deploymentsFile = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'registry-chain-')),
      'deployments.json',
    );
    writeDeployments(this.deploymentsFile, this.deployments);
  }

  private as(w: Wallet) {
    return connectContracts(this.deployments, new NonceManager(w.connect(this.provider)));
  }

  async register(w: Wallet): Promise<void> {
    await (
      await this.as(w).providerRegistry.registerProvider('https://example.test/p', [
        encodeBytes32String('us-east'),
      ])
    ).wait();
  }

  async stake(w: Wallet, amount: bigint): Promise<void> {
    const c = this.as(w);
    await (await c.agpu.approve(this.deployments.contracts.staking, amount)).wait();
    await (await c.staking.stake(amount)).wait();
  }

  /** Slashes and returns the receipt's log position, as the chain-indexer would report it. */
  async slash(provider: string, amount: bigint) {
    const receipt = await (
      await this.as(this.slasher).staking.slash(provider, amount, id(`evidence-${Math.random()}`))
    ).wait();
    const log = receipt!.logs.find(
      (l) => l.address.toLowerCase() === this.deployments.contracts.staking.toLowerCase(),
    )!;
    const bonded = (await this.as(this.slasher).staking.stakeOf(provider)).bonded;
    return { receipt: receipt!, log, bonded };
  }

  destroy(): void {
    this.provider.destroy();
  }
}
