import { type ReputationModel } from '../../domain/model-config';
import { allocateEpoch } from '../../domain/reward-allocation';
import {
  type EpochTransaction,
  type EpochUnitOfWork,
  type RewardRootPoster,
  type RewardTrees,
  type StoredEpoch,
} from '../ports';

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

/**
 * One reward epoch: the next epoch number comes from the RewardDistributor, the budget is a share
 * of its unallocated balance, allocations are stake x reputation, the tree is stored before its
 * root is posted (so a crash between the two re-posts the same tree), and proofs are served from
 * the stored tree. One runner at a time across replicas (the transaction's lock).
 */
export class RunEpochHandler {
  constructor(
    private readonly runs: EpochUnitOfWork,
    private readonly poster: RewardRootPoster,
    private readonly trees: RewardTrees,
    private readonly model: ReputationModel,
    private readonly budgetBps: number,
  ) {}

  async run(): Promise<EpochOutcome> {
    return this.runs.transact(async (tx) => {
      if (!(await tx.tryLock()))
        return { posted: false, reason: 'another replica is running an epoch' };
      const next = await this.poster.nextEpoch();
      const pending = await tx.epochs.latestBuilt();
      if (pending) {
        if (pending.epoch === next) return this.post(tx, pending);
        // posted before a crash: the chain has it, record that
        if (pending.epoch < next && (await this.poster.rootOf(pending.epoch)) === pending.root)
          await tx.epochs.markPosted(pending.epoch, '');
      }
      const budget = ((await this.poster.available()) * BigInt(this.budgetBps)) / 10_000n;
      if (budget === 0n)
        return { posted: false, reason: 'no unallocated rewards in the RewardDistributor' };
      const stakes = await tx.evidence.stakes();
      const scores = new Map((await tx.scores.providers()).map((s) => [s.provider, s.scoreBps]));
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
      const tree = this.trees.build(next, alloc.allocations);
      const stored: StoredEpoch = {
        epoch: next,
        root: tree.root,
        total: tree.total,
        tree: tree.tree,
        status: 'built',
        postTx: '',
      };
      await tx.epochs.save(stored);
      return this.post(tx, stored);
    });
  }

  private async post(tx: EpochTransaction, e: StoredEpoch): Promise<EpochOutcome> {
    // The tree row must be durable before the root goes on chain.
    await tx.commit();
    const { transactionHash } = await this.poster.post(e.epoch, e.root, e.total);
    await tx.epochs.markPosted(e.epoch, transactionHash);
    return {
      posted: true,
      epoch: e.epoch,
      root: e.root,
      total: e.total,
      accounts: this.trees.accounts(e.tree),
      transactionHash,
    };
  }
}
