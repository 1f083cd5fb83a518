import { mulBps } from './fixed-point';
import { neutralPrice } from './policy';
import { EMPTY_PRICES, price } from './price';
import { H100_NORMAL, market, policy, priceOf, run } from './test-fixtures';
import { URGENCIES } from './tier';

describe('price (Multi-Tier Pricing step)', () => {
  const p = policy();
  const neutral = neutralPrice(p, 'H100-80GB', 'normal');

  it('given demand above supply, when intervals pass, then the price rises', () => {
    // 32 GPUs, 32 running and 16 queued: utilization 150 % against a target of 80 %.
    const states = run(p, market({ nodes: 4, running: 32, queued: 16 }), 5);
    const prices = states.map((s) => priceOf(s, H100_NORMAL));
    for (let i = 1; i < prices.length; i++) expect(prices[i]!).toBeGreaterThan(prices[i - 1]!);
    expect(prices[0]!).toBeGreaterThan(neutral);
  });

  it('given supply above demand, when intervals pass, then the price falls', () => {
    const states = run(p, market({ nodes: 4, running: 4 }), 5);
    const prices = states.map((s) => priceOf(s, H100_NORMAL));
    for (let i = 1; i < prices.length; i++) expect(prices[i]!).toBeLessThan(prices[i - 1]!);
    expect(prices[0]!).toBeLessThan(neutral);
  });

  it('never moves a price by more than maxStep in one interval', () => {
    const states = run(p, market({ nodes: 1, running: 8, queued: 400 }), 30);
    let prev = neutral;
    for (const s of states) {
      const now = priceOf(s, H100_NORMAL);
      const delta = now > prev ? now - prev : prev - now;
      expect(delta).toBeLessThanOrEqual(mulBps(prev, p.maxStepBps));
      prev = now;
    }
  });

  it('stops at the ceiling under extreme demand and at the floor with no demand', () => {
    const hot = run(p, market({ nodes: 1, running: 8, queued: 400 }), 200).at(-1)!;
    expect(priceOf(hot, H100_NORMAL)).toBe(mulBps(neutral, p.ceilingBps));
    const cold = run(p, market({ nodes: 4 }), 200).at(-1)!;
    expect(priceOf(cold, H100_NORMAL)).toBe(mulBps(neutral, p.floorBps));
  });

  it('given a constant load, converges and then holds: no oscillation', () => {
    const states = run(p, market({ nodes: 4, running: 30 }), 300);
    const prices = states.map((s) => priceOf(s, H100_NORMAL));
    // Monotone approach: the direction of change never flips.
    const deltas = prices.slice(1).map((x, i) => x - prices[i]!);
    const signs = new Set(deltas.filter((d) => d !== 0n).map((d) => d > 0n));
    expect(signs.size).toBeLessThanOrEqual(1);
    // Then it holds for the last hundred intervals.
    expect(new Set(prices.slice(-100)).size).toBe(1);
    // At the price the formula gives for the load: factor = 1 + 2 x (30/32 - 0.8) = 1.275.
    const target = mulBps(neutral, 12_750n);
    const last = prices.at(-1)!;
    const gap = last > target ? last - target : target - last;
    expect(gap).toBeLessThanOrEqual(mulBps(target, p.deadbandBps) + 1n);
  });

  it('orders the urgencies of a pool: low < normal < high < critical, at every interval', () => {
    for (const signals of [
      market({ nodes: 2, running: 16, queued: 10 }),
      market({ nodes: 2, running: 2 }),
    ]) {
      for (const s of run(p, signals, 60)) {
        const prices = URGENCIES.map((u) => priceOf(s, `H100-80GB/us-east/${u}`));
        for (let i = 1; i < prices.length; i++) expect(prices[i]!).toBeGreaterThan(prices[i - 1]!);
      }
    }
  });

  it('reports only the tiers whose price changed, with the previous price', () => {
    const first = price(p, market({ nodes: 4, running: 26 }), EMPTY_PRICES, 60_000);
    expect(first.changes.map((c) => c.tier)).toHaveLength(4);
    const held = run(p, market({ nodes: 4, running: 26 }), 300).at(-1)!;
    const again = price(p, market({ nodes: 4, running: 26 }), held, 1e9);
    expect(again.changes).toEqual([]);
  });

  it('holds the price of a pool with neither supply nor demand', () => {
    const before = run(p, market({ nodes: 4, running: 30 }), 10).at(-1)!;
    const after = price(p, market({ nodes: 0 }), before, 1e9);
    expect(after.state.tiers.get(H100_NORMAL)?.price).toBe(priceOf(before, H100_NORMAL));
  });
});
