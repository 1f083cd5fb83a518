import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { RewardTree } from './reward-tree';

const A = '0x1000000000000000000000000000000000000001';
const B = '0x2000000000000000000000000000000000000002';

describe('RewardTree', () => {
  it('builds proofs that verify against the root with the contract’s leaf encoding', () => {
    const tree = RewardTree.build(3n, [
      { account: A, amount: 5n },
      { account: B, amount: 7n },
    ]);
    expect(tree.total).toBe(12n);
    const claim = tree.claimFor(B);
    expect(claim).toMatchObject({ epoch: 3n, account: B, amount: 7n });
    const ok = StandardMerkleTree.verify(
      tree.root,
      ['uint64', 'address', 'uint256'],
      ['3', B, '7'],
      claim?.proof ?? [],
    );
    expect(ok).toBe(true);
  });

  it('rejects duplicate accounts, empty and non-positive allocations', () => {
    expect(() => RewardTree.build(1n, [])).toThrow('no allocations');
    expect(() =>
      RewardTree.build(1n, [
        { account: A, amount: 1n },
        { account: A.toUpperCase().replace('0X', '0x'), amount: 2n },
      ]),
    ).toThrow('duplicate');
    expect(() => RewardTree.build(1n, [{ account: A, amount: 0n }])).toThrow('non-positive');
  });

  it('survives a JSON round trip', () => {
    const tree = RewardTree.build(9n, [{ account: A, amount: 1n }]);
    const back = RewardTree.fromJSON(tree.toJSON());
    expect([back.root, back.epoch, back.total]).toEqual([tree.root, 9n, 1n]);
  });
});
