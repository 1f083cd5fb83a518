import { type Pool } from 'pg';
import { RewardDistributor__factory, type Deployments } from '@starminer/chain';
import { withTransaction, type Tx } from '@starminer/eventing';
import { nextRewardRootStep, type RewardRootRequest } from '../domain/reward-root';
import { bumpedFees } from '../domain/settlement';
import { type FollowerLogger } from './chain-follower';
import { type SignerWallet } from './signer-wallet';

const GAS_LIMIT = 200_000n;

export const rewardRootSubject = (epoch: bigint) => `reward-root:${epoch}`;

/**
 * Posts requested reward roots to the RewardDistributor with the signer's key (which must hold
 * VALIDATOR_ROLE there). Works like the settlement signer: per open request it reads the epoch on
 * chain and the state of the last transaction it sent, then sends, waits, bumps, rebroadcasts,
 * marks the request posted, or fails it with the contract's reason (domain/reward-root.ts). Every
 * transaction is stored before broadcast, and nonces come from the counter settlements use.
 */
export class RewardRootSigner {
  private readonly distributor;

  constructor(
    private readonly o: {
      pool: Pool;
      /** Quoted schema name. */
      s: string;
      deployments: Deployments;
      signer: SignerWallet;
      bumpAfterMs: number;
      logger: FollowerLogger;
    },
  ) {
    this.distributor = RewardDistributor__factory.connect(
      o.deployments.contracts.rewardDistributor,
      o.signer.provider,
    );
  }

  /** Handles every open request once, oldest epoch first (the distributor takes them in order). */
  async pass(): Promise<void> {
    const open = await this.o.pool.query<{ epoch: string }>(
      `SELECT epoch FROM ${this.o.s}.reward_root_requests WHERE status IN ('pending', 'submitted') ORDER BY epoch LIMIT 20`,
    );
    for (const { epoch } of open.rows) await this.handle(BigInt(epoch));
  }

  private async handle(epoch: bigint): Promise<void> {
    const subject = rewardRootSubject(epoch);
    const raw = await withTransaction(this.o.pool, async (tx) => {
      const r = await tx.query<{ root: string; total: string }>(
        `SELECT root, total FROM ${this.o.s}.reward_root_requests
          WHERE epoch = $1 AND status IN ('pending', 'submitted') FOR UPDATE SKIP LOCKED`,
        [epoch.toString()],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      const request: RewardRootRequest = { epoch, root: row.root, total: BigInt(row.total) };
      const [onChain, nextEpoch] = await Promise.all([
        this.distributor.epochOf(epoch),
        this.distributor.nextEpoch(),
      ]);
      const last = await this.o.signer.lastTx(tx, subject);
      const step = nextRewardRootStep({
        request,
        chain: { root: onChain.root, nextEpoch },
        sent: await this.o.signer.txState(last),
        pendingForMs: last ? Date.now() - last.sent_at.getTime() : 0,
        bumpAfterMs: this.o.bumpAfterMs,
      });
      switch (step.kind) {
        case 'wait':
        case 'await-mirror':
          return undefined;
        case 'posted':
          await this.mark(tx, epoch, 'posted', 'root on chain', last?.tx_hash);
          this.o.logger.info('reward root posted', { epoch: Number(epoch), txHash: last?.tx_hash });
          return undefined;
        case 'fail':
        case 'skip':
          await this.mark(tx, epoch, 'failed', step.reason);
          this.o.logger.error('reward root not posted', {
            epoch: Number(epoch),
            reason: step.reason,
          });
          return undefined;
        case 'rebroadcast':
          return last!.raw;
        case 'send':
        case 'bump': {
          const data = this.distributor.interface.encodeFunctionData('postEpoch', [
            epoch,
            request.root,
            request.total,
          ]);
          const to = this.o.deployments.contracts.rewardDistributor;
          if (step.kind === 'send') {
            // A root the contract refuses (role missing, not enough rewards) is for a person.
            const refusal = await this.o.signer.refusal(to, data);
            if (refusal) {
              await this.mark(tx, epoch, 'failed', refusal);
              this.o.logger.error('reward root refused by the contract; not sent', {
                epoch: Number(epoch),
                reason: refusal,
              });
              return undefined;
            }
          }
          const market = await this.o.signer.fees();
          const bump = step.kind === 'bump' && last;
          const fees = bump
            ? bumpedFees(
                {
                  maxFeePerGas: BigInt(last.max_fee_per_gas),
                  maxPriorityFeePerGas: BigInt(last.max_priority_fee_per_gas),
                },
                market,
              )
            : market;
          const nonce = bump ? Number(last.nonce) : await this.o.signer.takeNonce(tx);
          const signed = await this.o.signer.signAndStore(tx, subject, {
            to,
            data,
            nonce,
            gasLimit: GAS_LIMIT,
            fees,
          });
          await tx.query(
            `UPDATE ${this.o.s}.reward_root_requests SET status = 'submitted', attempts = attempts + 1,
               tx_hash = $2, detail = $3, updated_at = now() WHERE epoch = $1`,
            [epoch.toString(), signed.hash, `${step.kind} tx ${signed.hash} nonce ${nonce}`],
          );
          this.o.logger.info('reward root transaction signed', {
            epoch: Number(epoch),
            txHash: signed.hash,
            nonce,
            step: step.kind,
          });
          return signed.raw;
        }
      }
    });
    // Broadcast only after the signed bytes are committed: a crash here rebroadcasts them later.
    if (raw) {
      await this.o.signer.broadcast(raw, (error) =>
        this.o.logger.warn('reward root broadcast failed; the next pass retries', { error }),
      );
    }
  }

  private async mark(
    tx: Tx,
    epoch: bigint,
    status: 'posted' | 'failed',
    detail: string,
    txHash?: string,
  ): Promise<void> {
    await tx.query(
      `UPDATE ${this.o.s}.reward_root_requests SET status = $2, detail = $3,
         tx_hash = COALESCE($4, tx_hash), updated_at = now() WHERE epoch = $1`,
      [epoch.toString(), status, detail, txHash ?? null],
    );
  }
}
