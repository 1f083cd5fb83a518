import { type Pool } from 'pg';
import { quoteSchema } from '@starminer/eventing';
import { type RewardRootRequest, type RewardRootStatus } from '../domain/reward-root';
import { type RewardRootRequests, type RewardRootState } from '../app/ports';

/** PostRewardRoot requests in Postgres (reward_root_requests), which RewardRootSigner sends. */
export class PgRewardRootRequests implements RewardRootRequests {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async open(request: RewardRootRequest, retryFailed: boolean): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.reward_root_requests (epoch, root, total, status)
       VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (epoch) DO UPDATE SET root = EXCLUDED.root, total = EXCLUDED.total,
         status = 'pending', detail = 'retry after: ' || ${this.s}.reward_root_requests.detail,
         updated_at = now()
       WHERE $4 AND ${this.s}.reward_root_requests.status = 'failed'`,
      [request.epoch.toString(), request.root, request.total.toString(), retryFailed],
    );
  }

  async get(epoch: bigint): Promise<RewardRootState | undefined> {
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
