import { connectContracts, type Deployments, rpcProvider } from '@starminer/chain';
import { type JsonRpcProvider } from 'ethers';
import { type OnChainStanding, type StakeChain } from '../../app/ports';

/**
 * Read-only calls to ProviderRegistry and Staking, so admission never rests on a mirror that
 * may lag (the chain-indexer waits for confirmations). All reads use one block number, so the
 * role, stake and minimum are consistent with each other.
 */
export class StakeReader implements StakeChain {
  private readonly provider: JsonRpcProvider;
  private readonly contracts: ReturnType<typeof connectContracts>;

  constructor(rpcUrl: string, deployments: Pick<Deployments, 'contracts'>) {
    this.provider = rpcProvider(rpcUrl, { pollingIntervalMs: 4_000 });
    this.contracts = connectContracts(deployments, this.provider);
  }

  async read(address: string): Promise<OnChainStanding> {
    const block = await this.provider.getBlockNumber();
    const at = { blockTag: block };
    const [registered, stake, minStake] = await Promise.all([
      this.contracts.providerRegistry.isProvider(address, at),
      this.contracts.staking.stakeOf(address, at),
      this.contracts.staking.minStake(at),
    ]);
    return { block, registered, bonded: stake.bonded, minStake };
  }

  /** The contracts whose logs are this deployment's (chain events of others are ignored). */
  addresses(): { staking: string; providerRegistry: string } {
    return {
      staking: String(this.contracts.staking.target).toLowerCase(),
      providerRegistry: String(this.contracts.providerRegistry.target).toLowerCase(),
    };
  }

  destroy(): void {
    this.provider.destroy();
  }
}
