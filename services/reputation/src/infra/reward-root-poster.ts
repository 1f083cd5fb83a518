import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { connectContracts, type Deployments, type StarMinerContracts } from '@starminer/chain';

/**
 * Posts an epoch's Merkle root to the RewardDistributor. A port so the posting can move to the
 * settlement signer (the chain-indexer, holder of the chain keys) once it accepts root-posting
 * requests; until then the reputation service signs with a key holding VALIDATOR_ROLE.
 */
export interface RewardRootPoster {
  readonly distributor: string;
  readonly chainId: bigint;
  nextEpoch(): Promise<bigint>;
  /** Rewards not yet promised to any epoch. */
  available(): Promise<bigint>;
  /** Root posted for an epoch, or the zero hash. */
  rootOf(epoch: bigint): Promise<string>;
  post(epoch: bigint, root: string, total: bigint): Promise<{ transactionHash: string }>;
}

/** Signs postEpoch with the validator key the service was configured with. */
export class ValidatorKeyRootPoster implements RewardRootPoster {
  private readonly contracts: StarMinerContracts;
  readonly distributor: string;
  readonly chainId: bigint;

  constructor(rpcUrl: string, deployments: Deployments, validatorKey: string) {
    const provider = new JsonRpcProvider(rpcUrl, Number(deployments.chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 250,
    });
    this.contracts = connectContracts(
      deployments,
      new NonceManager(new Wallet(validatorKey, provider)),
    );
    this.distributor = deployments.contracts.rewardDistributor;
    this.chainId = BigInt(deployments.chainId);
  }

  async nextEpoch(): Promise<bigint> {
    return this.contracts.rewardDistributor.nextEpoch();
  }

  async available(): Promise<bigint> {
    return this.contracts.rewardDistributor.available();
  }

  async rootOf(epoch: bigint): Promise<string> {
    return (await this.contracts.rewardDistributor.epochOf(epoch)).root;
  }

  async post(epoch: bigint, root: string, total: bigint): Promise<{ transactionHash: string }> {
    const tx = await this.contracts.rewardDistributor.postEpoch(epoch, root, total);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1)
      throw new Error(`postEpoch(${epoch}) failed in ${tx.hash}`);
    return { transactionHash: tx.hash };
  }
}
