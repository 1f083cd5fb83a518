import { rewardRootProblems, sameRewardRoot } from '../../domain/reward-root';
import { InvalidArgumentError } from '../errors';
import { type RewardRootRequests, type RewardRootState } from '../ports';

/** An epoch already requested with another root or total: it is not replaced. */
export class RewardRootConflictError extends Error {
  override readonly name = 'RewardRootConflictError';
}

/**
 * Records a request to post a reward root (PostRewardRoot) and answers its state. One request
 * per epoch: the same request again is answered with what happened to the first (so a caller
 * that crashed or timed out simply asks again), a different one is refused. A failed request
 * (nothing of it reached the chain) is replaced and re-opened when the caller asks to retry, so
 * a root refused for want of rewards can be posted once they arrive. The signer
 * (infra/reward-root-signer.ts) sends it.
 */
export class PostRewardRootHandler {
  constructor(
    private readonly requests: RewardRootRequests,
    /** Where the roots go: the RewardDistributor of the deployments file, and its chain. */
    readonly distributor: string,
    readonly chainId: number,
  ) {}

  async request(raw: {
    epoch: string;
    root: string;
    total: string;
    retryFailed: boolean;
  }): Promise<RewardRootState> {
    const { request, problems } = rewardRootProblems(raw);
    if (!request) throw new InvalidArgumentError(`PostRewardRoot: ${problems.join('; ')}`);
    await this.requests.open(request, raw.retryFailed);
    const state = await this.requests.get(request.epoch);
    if (!state || !sameRewardRoot(state, request))
      throw new RewardRootConflictError(
        `epoch ${request.epoch} was already requested with root ${state?.root} and total ${state?.total}; it is not replaced`,
      );
    return state;
  }

  state(epoch: bigint): Promise<RewardRootState | undefined> {
    return this.requests.get(epoch);
  }
}
