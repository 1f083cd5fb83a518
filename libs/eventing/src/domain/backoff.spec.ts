import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };

  it('grows exponentially with the attempt when random is at its top', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 0.999_999, policy))).toEqual([
      99, 199, 399, 799,
    ]);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelay(30, 0.999_999, policy)).toBeLessThanOrEqual(1_000);
  });

  it('is zero with zero jitter (full jitter spreads retries down to zero)', () => {
    expect(backoffDelay(5, 0, policy)).toBe(0);
  });
});
