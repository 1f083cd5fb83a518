import { DEFAULT_MODEL } from '../../domain/model-config';
import { type StoredScore } from '../ports';
import { FakeRewardDistributor, fakeRewardTrees, InMemoryEpochRuns } from '../reputation.fixtures';
import { RunEpochHandler } from './run-epoch.handler';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';
const C = '0x00000000000000000000000000000000000000cc';

const providerScore = (provider: string, scoreBps: number): StoredScore => ({
  provider,
  pool: '',
  scoreBps,
  asOfMs: 0,
  breakdown: {} as StoredScore['breakdown'],
});

describe('RunEpochHandler', () => {
  let runs: InMemoryEpochRuns;
  let chain: FakeRewardDistributor;
  let handler: RunEpochHandler;

  /** Given A (score 8000, stake 1000), B (a newcomer, stake 3000), C (excluded, stake 5000). */
  beforeEach(async () => {
    runs = new InMemoryEpochRuns();
    chain = new FakeRewardDistributor();
    chain.unallocated = 1_000n;
    handler = new RunEpochHandler(runs, chain, fakeRewardTrees, DEFAULT_MODEL, 5_000);
    await runs.evidence.setStake(A, 1_000n, 1, 0);
    await runs.evidence.setStake(B, 3_000n, 1, 0);
    await runs.evidence.setStake(C, 5_000n, 1, 0);
    runs.scores.rows.set(`${A}|`, providerScore(A, 8_000));
    runs.scores.rows.set(`${C}|`, providerScore(C, DEFAULT_MODEL.exclusionThresholdBps - 1));
  });

  it('allocates its share of the unallocated rewards by stake x score, stores the tree and posts its root', async () => {
    const outcome = await handler.run();

    // budget 500; a newcomer scores the prior mean (4 / 5 = 8000 bps); C is below the threshold
    expect(outcome).toEqual({
      posted: true,
      epoch: 1n,
      root: '0xroot-1-2',
      total: 500n,
      accounts: 2,
      transactionHash: '0xtx-1',
    });
    expect(chain.posts).toEqual([{ epoch: 1n, root: '0xroot-1-2', total: 500n }]);
    const stored = runs.epochs.rows.get(1n)!;
    expect(stored).toMatchObject({ status: 'posted', postTx: '0xtx-1', total: 500n });
    expect(fakeRewardTrees.claimFor(stored.tree, A)?.amount).toBe(125n);
    expect(fakeRewardTrees.claimFor(stored.tree, B)?.amount).toBe(375n);
    expect(fakeRewardTrees.claimFor(stored.tree, C)).toBeUndefined();
  });

  it('keeps the built tree when posting fails, and posts that same tree on the next run', async () => {
    chain.failPosts = new Error('chain-indexer unavailable');
    await expect(handler.run()).rejects.toThrow('chain-indexer unavailable');
    expect(runs.epochs.rows.get(1n)).toMatchObject({ status: 'built', root: '0xroot-1-2' });

    chain.failPosts = undefined;
    await runs.evidence.setStake(A, 9_000n, 2, 0); // stakes moved meanwhile: the tree does not
    const outcome = await handler.run();

    expect(outcome).toMatchObject({ posted: true, epoch: 1n, root: '0xroot-1-2', total: 500n });
    expect(chain.posts).toHaveLength(1);
    expect(runs.epochs.rows.get(1n)?.status).toBe('posted');
  });

  it('records a tree posted before a crash as posted, then builds the next epoch', async () => {
    await runs.epochs.save({ epoch: 1n, root: '0xroot-old', total: 100n, tree: '{}' });
    chain.roots.set(1n, '0xroot-old');
    chain.next = 2n;

    const outcome = await handler.run();

    expect(runs.epochs.rows.get(1n)).toMatchObject({ status: 'posted', postTx: '' });
    expect(outcome).toMatchObject({ posted: true, epoch: 2n, root: '0xroot-2-2' });
  });

  it('does nothing while another replica runs an epoch', async () => {
    runs.lockedElsewhere = true;

    await expect(handler.run()).resolves.toEqual({
      posted: false,
      reason: 'another replica is running an epoch',
    });
    expect(chain.posts).toEqual([]);
    expect(runs.epochs.rows.size).toBe(0);
  });

  it('skips the epoch when the RewardDistributor has nothing unallocated', async () => {
    chain.unallocated = 0n;

    await expect(handler.run()).resolves.toEqual({
      posted: false,
      reason: 'no unallocated rewards in the RewardDistributor',
    });
    expect(runs.epochs.rows.size).toBe(0);
  });

  it('skips the epoch when no provider is eligible', async () => {
    runs.evidence.stakeRows.delete(A);
    runs.evidence.stakeRows.delete(B);

    await expect(handler.run()).resolves.toEqual({
      posted: false,
      reason: 'no provider is eligible',
    });
    expect(chain.posts).toEqual([]);
  });
});
