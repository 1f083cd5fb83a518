import { RewardTree } from '@starminer/chain';
import { type RewardTrees } from '../app/ports';

/** Reward trees as RewardDistributor.claim verifies them (OpenZeppelin's standard Merkle tree). */
export const merkleRewardTrees: RewardTrees = {
  build(epoch, allocations) {
    const tree = RewardTree.build(epoch, allocations);
    return { root: tree.root, total: tree.total, tree: tree.toJSON() };
  },
  claimFor: (tree, account) => RewardTree.fromJSON(tree).claimFor(account),
  accounts: (tree) => RewardTree.fromJSON(tree).claims().length,
};
