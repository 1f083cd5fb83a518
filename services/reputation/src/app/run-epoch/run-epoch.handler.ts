import { type Pool } from 'pg';
import { RewardTree, type RewardClaim } from '@starminer/chain';
import { withTransaction } from '@starminer/eventing';
import { type ReputationModel } from '../../domain/model-config';
import { allocateEpoch } from '../../domain/reward-allocation';
import { type EvidenceRepository } from '../../infra/evidence-repository';
import { type RewardEpochRepository, type StoredEpoch } from '../../infra/reward-epoch-repository';
import { type RewardRootPoster } from '../../infra/reward-root-poster';
import { type ScoreRepository } from '../../infra/score-repository';

export type EpochOutcome =
  | {
      posted: true;
      epoch: bigint;
      root: string;
      total: bigint;
      accounts: number;
      transactionHash: string;
    }
  | { posted: false; reason: string };

const ZERO_ROOT = `0x${'0'.repeat(64)}`;

/**
 * One reward epoch: the next epoch number comes from the RewardDistributor, the budget is a share
 * of its unallocated balance, allocations are stake x reputation, the tree is stored before its
 * root is posted (so a crash between the two re-posts the same tree), and proofs are served from
 * the stored tree. One runner at a time across replicas (advisory lock).
 */
export class RunEpochHandler {
  constructor(
    private readonly pool: Pool,
    private readonly scores: ScoreRepository,
    private readonly evidence: EvidenceRepository,
    private readonly epochs: RewardEpochRepository,
    private readonly poster: RewardRootPoster,
    private readonly model: ReputationModel,
    private readonly budgetBps: number,
    private readonly lockKey: string,
  ) {}

  async run(): Promise<EpochOutcome> {
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok',
        [this.lockKey],
      );
      if (!rows[0]?.ok) return { posted: false, reason: 'another replica is running an epoch' };
      const next = await this.poster.nextEpoch();
      const pending = await this.epochs.latestBuilt(tx);
      if (pending) {
        if (pending.epoch === next) return this.post(tx, pending);
        // posted before a crash: the chain has it, record that
        if (pending.epoch < next && (await this.poster.rootOf(pending.epoch)) === pending.root)
          await this.epochs.markPosted(tx, pending.epoch, '');
      }
      const budget = ((await this.poster.available()) * BigInt(this.budgetBps)) / 10_000n;
      if (budget === 0n)
        return { posted: false, reason: 'no unallocated rewards in the RewardDistributor' };
      const stakes = await this.evidence.stakes(tx);
      const scores = new Map(
        (await this.scores.providers(tx)).map((s) => [s.provider, s.scoreBps]),
      );
      const newcomer = Math.round(
        (this.model.priorSuccesses / (this.model.priorSuccesses + this.model.priorFailures)) *
          10_000,
      );
      const participants = [...stakes].map(([provider, stake]) => ({
        provider,
        stake,
        scoreBps: scores.get(provider) ?? newcomer,
      }));
      const alloc = allocateEpoch(budget, participants, this.model.exclusionThresholdBps);
      if (alloc.allocations.length === 0)
        return { posted: false, reason: 'no provider is eligible' };
      const tree = RewardTree.build(next, alloc.allocations);
      const stored: StoredEpoch = {
        epoch: next,
        root: tree.root,
        total: tree.total,
        tree: tree.toJSON(),
        status: 'built',
        postTx: '',
      };
      await this.epochs.save(tx, stored);
      return this.post(tx, stored);
    });
  }

  private async post(
    tx: Parameters<Parameters<typeof withTransaction>[1]>[0],
    e: StoredEpoch,
  ): Promise<EpochOutcome> {
    // The tree row must be durable before the root goes on chain.
    await tx.query('COMMIT');
    await tx.query('BEGIN');
    const { transactionHash } = await this.poster.post(e.epoch, e.root, e.total);
    await this.epochs.markPosted(tx, e.epoch, transactionHash);
    const accounts = RewardTree.fromJSON(e.tree).claims().length;
    return {
      posted: true,
      epoch: e.epoch,
      root: e.root,
      total: e.total,
      accounts,
      transactionHash,
    };
  }

  /** The claim of `account` in `epoch` (0: latest posted epoch paying it). */
  async proof(
    account: string,
    epoch: bigint,
  ): Promise<{ claim: RewardClaim; epoch: StoredEpoch } | undefined> {
    const candidates =
      epoch > 0n
        ? [await this.epochs.get(this.pool, epoch)]
        : await this.epochs.posted(this.pool, 100);
    for (const e of candidates) {
      if (!e || e.status !== 'posted' || e.root === ZERO_ROOT) continue;
      const claim = RewardTree.fromJSON(e.tree).claimFor(account);
      if (claim) return { claim, epoch: e };
    }
    return undefined;
  }
}
