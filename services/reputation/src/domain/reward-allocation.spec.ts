import fc from 'fast-check';
import { allocateEpoch } from './reward-allocation';

describe('allocateEpoch', () => {
  it('splits the budget pro rata to stake x score', () => {
    // given equal stakes and scores 8000 and 2000 (threshold 1000), then 80/20
    const r = allocateEpoch(
      1_000n,
      [
        { provider: '0xb', stake: 10n, scoreBps: 2_000 },
        { provider: '0xa', stake: 10n, scoreBps: 8_000 },
      ],
      1_000,
    );
    expect(r.allocations.map((a) => [a.account, a.amount])).toEqual([
      ['0xa', 800n],
      ['0xb', 200n],
    ]);
    expect(r.total).toBe(1_000n);
  });

  it('excludes providers below the threshold or without stake', () => {
    const r = allocateEpoch(
      900n,
      [
        { provider: '0xa', stake: 10n, scoreBps: 9_000 },
        { provider: '0xb', stake: 1_000n, scoreBps: 4_999 },
        { provider: '0xc', stake: 0n, scoreBps: 9_000 },
      ],
      5_000,
    );
    expect(r.allocations).toEqual([{ account: '0xa', amount: 900n, weight: 90_000n }]);
    expect(r.excluded).toEqual([
      { provider: '0xb', reason: 'below-threshold' },
      { provider: '0xc', reason: 'no-stake' },
    ]);
  });

  it('never allocates more than the budget and loses less than one unit per account', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.uniqueArray(
          fc.record({
            provider: fc.integer({ min: 0, max: 65_535 }).map((i) => `0x${i.toString(16)}`),
            stake: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            scoreBps: fc.integer({ min: 0, max: 10_000 }),
          }),
          { selector: (p) => p.provider.toLowerCase() },
        ),
        (budget, ps) => {
          const r = allocateEpoch(budget, ps, 5_000);
          expect(r.total).toBeLessThanOrEqual(budget);
          if (r.allocations.length > 0) expect(budget - r.total).toBeLessThan(BigInt(ps.length));
          for (const a of r.allocations) expect(a.amount).toBeGreaterThan(0n);
        },
      ),
    );
  });

  it('rejects duplicate providers', () => {
    expect(() =>
      allocateEpoch(
        1n,
        [
          { provider: '0xA', stake: 1n, scoreBps: 1 },
          { provider: '0xa', stake: 1n, scoreBps: 1 },
        ],
        0,
      ),
    ).toThrow('listed twice');
  });
});
