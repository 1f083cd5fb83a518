import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

/** Leaf encoding RewardDistributor.claim verifies: (epoch, account, amount). */
export const REWARD_LEAF_TYPES = ['uint64', 'address', 'uint256'] as const;

type Leaf = [epoch: string, account: string, amount: string];

export interface RewardAllocation {
  account: string;
  amount: bigint;
}

export interface RewardClaim extends RewardAllocation {
  epoch: bigint;
  proof: string[];
}

/**
 * One epoch's allocations as a Merkle tree: post `root` and `total` with RewardDistributor.postEpoch,
 * hand each account its claim. Accounts must be unique (each claims once per epoch).
 */
export class RewardTree {
  private constructor(
    readonly epoch: bigint,
    // Leaves hold decimal strings so the dump is plain JSON.
    private readonly tree: StandardMerkleTree<Leaf>,
  ) {}

  static build(epoch: bigint, allocations: readonly RewardAllocation[]): RewardTree {
    if (allocations.length === 0) throw new Error('RewardTree: no allocations');
    const seen = new Set<string>();
    for (const a of allocations) {
      const key = a.account.toLowerCase();
      if (seen.has(key)) throw new Error(`RewardTree: duplicate account ${a.account}`);
      if (a.amount <= 0n) throw new Error(`RewardTree: non-positive amount for ${a.account}`);
      seen.add(key);
    }
    const leaves = allocations.map((a): Leaf => [epoch.toString(), a.account, a.amount.toString()]);
    return new RewardTree(epoch, StandardMerkleTree.of(leaves, [...REWARD_LEAF_TYPES]));
  }

  /** Restores a tree saved with toJSON (for example by the reputation service between runs). */
  static fromJSON(json: string): RewardTree {
    const tree = StandardMerkleTree.load<Leaf>(JSON.parse(json));
    tree.validate();
    const first = tree.at(0);
    if (!first) throw new Error('RewardTree: empty tree');
    return new RewardTree(BigInt(first[0]), tree);
  }

  get root(): string {
    return this.tree.root;
  }

  get total(): bigint {
    let sum = 0n;
    for (const [, [, , amount]] of this.tree.entries()) sum += BigInt(amount);
    return sum;
  }

  claims(): RewardClaim[] {
    return [...this.tree.entries()].map(([i, [epoch, account, amount]]) => ({
      epoch: BigInt(epoch),
      account,
      amount: BigInt(amount),
      proof: this.tree.getProof(i),
    }));
  }

  claimFor(account: string): RewardClaim | undefined {
    return this.claims().find((c) => c.account.toLowerCase() === account.toLowerCase());
  }

  toJSON(): string {
    return JSON.stringify(this.tree.dump());
  }
}
