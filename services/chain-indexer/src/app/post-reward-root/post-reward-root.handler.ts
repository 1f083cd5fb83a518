import { type Pool } from 'pg';
import { quoteSchema } from '@starminer/eventing';
import {
  rewardRootProblems,
  sameRewardRoot,
  type RewardRootRequest,
  type RewardRootStatus,
} from '../../domain/reward-root';
import { InvalidArgumentError } from '../query-mirror/mirror-queries';

/** An epoch already requested with another root or total: it is not replaced. */
export class RewardRootConflictError extends Error {
  override readonly name = 'RewardRootConflictError';
}

export interface RewardRootState extends RewardRootRequest {
  status: RewardRootStatus;
  txHash: string;
  detail: string;
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
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
    /** Where the roots go: the RewardDistributor of the deployments file, and its chain. */
    readonly distributor: string,
    readonly chainId: number,
  ) {
    this.s = quoteSchema(schema);
  }

  async request(raw: {
    epoch: string;
    root: string;
    total: string;
    retryFailed: boolean;
  }): Promise<RewardRootState> {
    const { request, problems } = rewardRootProblems(raw);
    if (!request) throw new InvalidArgumentError(`PostRewardRoot: ${problems.join('; ')}`);
    await this.pool.query(
      `INSERT INTO ${this.s}.reward_root_requests (epoch, root, total, status)
       VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (epoch) DO UPDATE SET root = EXCLUDED.root, total = EXCLUDED.total,
         status = 'pending', detail = 'retry after: ' || ${this.s}.reward_root_requests.detail,
         updated_at = now()
       WHERE $4 AND ${this.s}.reward_root_requests.status = 'failed'`,
      [request.epoch.toString(), request.root, request.total.toString(), raw.retryFailed],
    );
    const state = await this.state(request.epoch);
    if (!state || !sameRewardRoot(state, request))
      throw new RewardRootConflictError(
        `epoch ${request.epoch} was already requested with root ${state?.root} and total ${state?.total}; it is not replaced`,
      );
    return state;
  }

  async state(epoch: bigint): Promise<RewardRootState | undefined> {
    const r = await this.pool.query<{
      root: string;
      total: string;
      status: RewardRootStatus;
      tx_hash: string;
      detail: string;
    }>(
      `SELECT root, total, status, tx_hash, detail FROM ${this.s}.reward_root_requests WHERE epoch = $1`,
      [epoch.toString()],
    );
    const row = r.rows[0];
    return (
      row && {
        epoch,
        root: row.root,
        total: BigInt(row.total),
        status: row.status,
        txHash: row.tx_hash,
        detail: row.detail,
      }
    );
  }
}
