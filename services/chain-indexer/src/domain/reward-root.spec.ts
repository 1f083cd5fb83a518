import { nextRewardRootStep, rewardRootProblems, sameRewardRoot } from './reward-root';

const root = `0x${'ab'.repeat(32)}`;
const other = `0x${'cd'.repeat(32)}`;
const zero = `0x${'0'.repeat(64)}`;
const request = { epoch: 3n, root, total: 100n };
const step = (chain: { root: string; nextEpoch: bigint }, sent = 'none' as const) =>
  nextRewardRootStep({ request, chain, sent, pendingForMs: 0, bumpAfterMs: 1_000 });

describe('reward root requests', () => {
  it('accepts a well-formed request and names every bad field', () => {
    expect(
      rewardRootProblems({
        epoch: '3',
        root: root.toUpperCase().replace('0X', '0x'),
        total: '100',
      }),
    ).toEqual({ request, problems: [] });
    const bad = rewardRootProblems({ epoch: '0', root: zero, total: '-1' });
    expect(bad.request).toBeUndefined();
    expect(bad.problems).toEqual([
      expect.stringMatching(/^epoch '0': accepted is an integer from 1/),
      expect.stringMatching(/^root '0x0+': accepted is a non-zero/),
      expect.stringMatching(/^total '-1': accepted is a positive integer/),
    ]);
  });

  it('answers a repeated request only when epoch, root and total are the same', () => {
    expect(sameRewardRoot(request, { ...request })).toBe(true);
    expect(sameRewardRoot(request, { ...request, root: other })).toBe(false);
    expect(sameRewardRoot(request, { ...request, total: 99n })).toBe(false);
  });
});

describe('nextRewardRootStep', () => {
  it('given the root on chain, when asked again, then the request is posted and nothing is sent', () => {
    expect(step({ root, nextEpoch: 4n }, 'none')).toEqual({ kind: 'posted' });
  });

  it('given another root on chain, then the request fails without a transaction', () => {
    expect(step({ root: other, nextEpoch: 4n })).toMatchObject({ kind: 'fail' });
  });

  it('given the epoch is next and open, then it sends, waits, bumps or rebroadcasts like a settlement', () => {
    expect(step({ root: zero, nextEpoch: 3n }, 'none')).toEqual({ kind: 'send' });
    expect(
      nextRewardRootStep({
        request,
        chain: { root: zero, nextEpoch: 3n },
        sent: 'pending',
        pendingForMs: 5_000,
        bumpAfterMs: 1_000,
      }),
    ).toEqual({ kind: 'bump' });
    expect(
      nextRewardRootStep({
        request,
        chain: { root: zero, nextEpoch: 3n },
        sent: 'unknown',
        pendingForMs: 0,
        bumpAfterMs: 1_000,
      }),
    ).toEqual({ kind: 'rebroadcast' });
  });

  it('given the distributor expects another epoch, then it fails unless our transaction is pending', () => {
    expect(step({ root: zero, nextEpoch: 2n })).toEqual({
      kind: 'fail',
      reason: 'the RewardDistributor expects epoch 2, not 3',
    });
    expect(
      nextRewardRootStep({
        request,
        chain: { root: zero, nextEpoch: 2n },
        sent: 'pending',
        pendingForMs: 0,
        bumpAfterMs: 1_000,
      }),
    ).toEqual({ kind: 'wait' });
  });
});
