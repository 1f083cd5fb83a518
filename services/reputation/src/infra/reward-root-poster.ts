import * as grpc from '@grpc/grpc-js';
import { JsonRpcProvider } from 'ethers';
import {
  RewardDistributor__factory,
  type Deployments,
  type RewardDistributor,
} from '@starminer/chain';
import { chainIndexerV1 } from '@starminer/proto';
import { type RewardRootPoster } from '../app/ports';

/**
 * RewardRootPoster through the chain-indexer's PostRewardRoot (the platform's one chain signer,
 * so this service holds no chain key): the indexer records the request
 * (idempotent per epoch) and its signer sends postEpoch with its key, which holds VALIDATOR_ROLE.
 * `post` asks again until the indexer reports the root posted or failed, so a crash or timeout
 * on either side is recovered by asking again with the same tree. The distributor's public state
 * (next epoch, unallocated rewards, posted roots) is read from the chain without a key.
 */
export class ChainIndexerRootPoster implements RewardRootPoster {
  private readonly client: chainIndexerV1.ChainIndexerServiceClient;
  private readonly provider: JsonRpcProvider;
  private readonly contract: RewardDistributor;
  readonly distributor: string;
  readonly chainId: bigint;

  constructor(
    private readonly o: {
      /** host:port of the chain-indexer's gRPC API. */
      chainIndexerAddress: string;
      rpcUrl: string;
      deployments: Deployments;
      /** How long `post` waits for the root to be on chain before it gives up (the next epoch run asks again). */
      timeoutMs: number;
      pollIntervalMs?: number;
    },
  ) {
    this.client = new chainIndexerV1.ChainIndexerServiceClient(
      o.chainIndexerAddress,
      grpc.credentials.createInsecure(),
    );
    this.provider = new JsonRpcProvider(o.rpcUrl, Number(o.deployments.chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
    });
    this.distributor = o.deployments.contracts.rewardDistributor;
    this.contract = RewardDistributor__factory.connect(this.distributor, this.provider);
    this.chainId = BigInt(o.deployments.chainId);
  }

  async nextEpoch(): Promise<bigint> {
    return this.contract.nextEpoch();
  }

  async available(): Promise<bigint> {
    return this.contract.available();
  }

  async rootOf(epoch: bigint): Promise<string> {
    return (await this.contract.epochOf(epoch)).root;
  }

  async post(epoch: bigint, root: string, total: bigint): Promise<{ transactionHash: string }> {
    const deadline = Date.now() + this.o.timeoutMs;
    const S = chainIndexerV1.RewardRootStatus;
    // The first ask of this attempt re-opens a request that failed before (e.g. rewards were
    // short then); the polls after it only read, so a new failure is seen.
    for (let first = true; ; first = false) {
      const r = await this.request(epoch, root, total, first);
      if (r.rewardDistributor.toLowerCase() !== this.distributor.toLowerCase())
        throw new Error(
          `the chain-indexer posts to RewardDistributor ${r.rewardDistributor}, not ${this.distributor}: its deployments file differs`,
        );
      if (r.status === S.REWARD_ROOT_STATUS_POSTED) return { transactionHash: r.transactionHash };
      if (r.status === S.REWARD_ROOT_STATUS_FAILED)
        throw new Error(`the chain-indexer did not post epoch ${epoch}: ${r.detail}`);
      if (Date.now() >= deadline)
        throw new Error(
          `epoch ${epoch} not posted within ${this.o.timeoutMs} ms (${S[r.status]}, ${r.detail || 'no detail'}); the next run asks again`,
        );
      await new Promise((res) => setTimeout(res, this.o.pollIntervalMs ?? 500));
    }
  }

  private request(
    epoch: bigint,
    root: string,
    total: bigint,
    retryFailed: boolean,
  ): Promise<chainIndexerV1.PostRewardRootResponse> {
    return new Promise((resolve, reject) =>
      this.client.postRewardRoot(
        { epoch: epoch.toString(), root, total: { baseUnits: total.toString() }, retryFailed },
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }

  close(): void {
    this.client.close();
    this.provider.destroy();
  }
}
