import { type RewardClaim } from '@starminer/chain';
import { type RewardEpochReader, type RewardTrees, type StoredEpoch } from '../ports';

const ZERO_ROOT = `0x${'0'.repeat(64)}`;

/** Reward claims served from the stored trees of posted epochs. */
export class RewardProofQueries {
  constructor(
    private readonly epochs: RewardEpochReader,
    private readonly trees: RewardTrees,
  ) {}

  /** The claim of `account` in `epoch` (0: latest posted epoch paying it). */
  async proof(
    account: string,
    epoch: bigint,
  ): Promise<{ claim: RewardClaim; epoch: StoredEpoch } | undefined> {
    const candidates = epoch > 0n ? [await this.epochs.get(epoch)] : await this.epochs.posted(100);
    for (const e of candidates) {
      if (!e || e.status !== 'posted' || e.root === ZERO_ROOT) continue;
      const claim = this.trees.claimFor(e.tree, account);
      if (claim) return { claim, epoch: e };
    }
    return undefined;
  }
}
