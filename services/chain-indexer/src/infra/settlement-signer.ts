import { type Pool } from 'pg';
import { JobEscrow__factory, type Deployments } from '@starminer/chain';
import { quoteSchema, withTransaction, type Tx } from '@starminer/eventing';
import {
  bumpedFees,
  clampUsage,
  nextSignerStep,
  type OnChainEscrowStatus,
  type SettlementAction,
} from '../domain/settlement';
import { type FollowerLogger } from './chain-follower';
import { SignerWallet } from './signer-wallet';

const STATUS: OnChainEscrowStatus[] = ['none', 'funded', 'settled', 'refunded', 'reclaimed'];
const GAS_LIMIT = 300_000n;

interface IntentRow {
  job_id: string;
  action: 'settle' | 'refund';
  provider: string | null;
  gpu_seconds: string | null;
}

export interface SettlementSignerOptions {
  pool: Pool;
  schema: string;
  rpcUrl: string;
  deployments: Deployments;
  privateKey: string;
  bumpAfterMs: number;
  logger: FollowerLogger;
  /** The `chain-signer` lease's fence (SignerWallet), when replicas share the key. */
  fence?: (tx: Tx) => Promise<void>;
}

/**
 * The only holder of a chain signing key. Works through recorded intents: for each open one it
 * reads the escrow on chain and the state of the transaction it last sent, and then sends, waits,
 * bumps fees, rebroadcasts, or stops (pure rules in domain/settlement.ts). Every signed
 * transaction is stored before it is broadcast, so a crash after signing rebroadcasts the same
 * bytes instead of signing another. Nonces come from a row locked in the same transaction as the
 * signing. An intent is `confirmed` only by the follower, when the mirror holds the closing log.
 */
export class SettlementSigner {
  private readonly s: string;
  /** The key and nonce sequence, shared with the reward-root signer. */
  readonly signer: SignerWallet;
  private readonly escrow;

  constructor(private readonly o: SettlementSignerOptions) {
    this.s = quoteSchema(o.schema);
    this.signer = new SignerWallet(this.s, o.rpcUrl, o.deployments.chainId, o.privateKey, o.fence);
    this.escrow = JobEscrow__factory.connect(
      o.deployments.contracts.jobEscrow,
      this.signer.provider,
    );
  }

  get address(): string {
    return this.signer.address;
  }

  /** Releases the RPC connection (after the last pass). */
  close(): void {
    this.signer.destroy();
  }

  /** Handles every open intent once. */
  async pass(): Promise<void> {
    const open = await this.o.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.s}.settlement_intents WHERE status IN ('pending', 'submitted') ORDER BY created_at LIMIT 100`,
    );
    for (const { job_id } of open.rows) await this.handle(job_id);
  }

  private async handle(jobId: string): Promise<void> {
    const toBroadcast = await withTransaction(this.o.pool, async (tx) => {
      const r = await tx.query<IntentRow & { status: string }>(
        `SELECT job_id, action, provider, gpu_seconds, status FROM ${this.s}.settlement_intents
          WHERE job_id = $1 AND status IN ('pending', 'submitted') FOR UPDATE SKIP LOCKED`,
        [jobId],
      );
      const intent = r.rows[0];
      if (!intent) return undefined;
      const onChain = await this.escrow.jobOf(jobId);
      const escrow = STATUS[Number(onChain.status)] ?? 'none';
      const last = await this.signer.lastTx(tx, jobId);
      const sent = await this.signer.txState(last);
      const step = nextSignerStep({
        escrow,
        sent,
        pendingForMs: last ? Date.now() - last.sent_at.getTime() : 0,
        bumpAfterMs: this.o.bumpAfterMs,
      });
      switch (step.kind) {
        case 'wait':
          return undefined;
        case 'await-mirror': {
          // Closed before the intent was recorded (e.g. reclaimed): the mirror may already hold it.
          const m = await tx.query<{ closed_at: string }>(
            `SELECT closed_at FROM ${this.s}.escrows WHERE job_id = $1 AND status <> 'funded' AND closed_at IS NOT NULL`,
            [jobId],
          );
          if (m.rows[0]) {
            await tx.query(
              `UPDATE ${this.s}.settlement_intents SET status = 'confirmed', confirmed_checkpoint = $2,
                 detail = $3, updated_at = now() WHERE job_id = $1`,
              [jobId, m.rows[0].closed_at, `escrow ${escrow}, mirrored`],
            );
          } else {
            await this.mark(
              tx,
              jobId,
              'submitted',
              `escrow is ${escrow} on chain; waiting for the mirror`,
            );
          }
          return undefined;
        }
        case 'skip':
          await this.mark(tx, jobId, 'skipped', step.reason);
          this.o.logger.warn('settlement skipped', { jobId, reason: step.reason });
          return undefined;
        case 'rebroadcast':
          return last!.raw;
        case 'send':
        case 'bump': {
          let action: SettlementAction =
            intent.action === 'settle'
              ? {
                  kind: 'settle',
                  provider: intent.provider!,
                  gpuSeconds: BigInt(intent.gpu_seconds!),
                }
              : { kind: 'refund' };
          action = clampUsage(action, onChain.maxGpuSeconds);
          const data =
            action.kind === 'settle'
              ? this.escrow.interface.encodeFunctionData('settle', [
                  jobId,
                  action.provider,
                  action.gpuSeconds,
                ])
              : this.escrow.interface.encodeFunctionData('refund', [jobId]);
          if (step.kind === 'send') {
            // Simulate first: a settlement the contract refuses (provider not active, job not
            // open) is a decision for a person, not something to resend every pass.
            const refusal = await this.signer.refusal(this.o.deployments.contracts.jobEscrow, data);
            if (refusal) {
              await this.mark(tx, jobId, 'failed', refusal);
              this.o.logger.error('settlement refused by the contract; not sent', {
                jobId,
                reason: refusal,
              });
              return undefined;
            }
          }
          const market = await this.signer.fees();
          const fees =
            step.kind === 'bump' && last
              ? bumpedFees(
                  {
                    maxFeePerGas: BigInt(last.max_fee_per_gas),
                    maxPriorityFeePerGas: BigInt(last.max_priority_fee_per_gas),
                  },
                  market,
                )
              : market;
          const nonce =
            step.kind === 'bump' && last ? Number(last.nonce) : await this.signer.takeNonce(tx);
          const { raw, hash } = await this.signer.signAndStore(tx, jobId, {
            to: this.o.deployments.contracts.jobEscrow,
            data,
            nonce,
            gasLimit: GAS_LIMIT,
            fees,
          });
          await tx.query(
            `UPDATE ${this.s}.settlement_intents SET status = 'submitted', attempts = attempts + 1,
               detail = $2, updated_at = now() WHERE job_id = $1`,
            [jobId, `${step.kind === 'bump' ? 'fee bump' : action.kind} tx ${hash} nonce ${nonce}`],
          );
          this.o.logger.info('settlement transaction signed', {
            jobId,
            action: action.kind,
            txHash: hash,
            nonce,
            step: step.kind,
          });
          return raw;
        }
      }
    });
    // Broadcast only after the signed bytes are committed: a crash here rebroadcasts them later.
    if (toBroadcast) await this.broadcast(toBroadcast);
  }

  private async broadcast(raw: string): Promise<void> {
    await this.signer.broadcast(raw, (error) =>
      this.o.logger.warn('broadcast failed; the next pass retries', { error }),
    );
  }

  private async mark(tx: Tx, jobId: string, status: string, detail: string): Promise<void> {
    await tx.query(
      `UPDATE ${this.s}.settlement_intents SET status = $2, detail = $3, updated_at = now() WHERE job_id = $1`,
      [jobId, status, detail],
    );
  }
}
