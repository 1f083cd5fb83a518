import { BPS, abs } from './fixed-point';

const PPM = 1_000_000n;
import { type SignalEvent } from './signal-events';
import { applyEntry, initialEngineState } from './replay';
import { type PricingStrategy } from './strategy';
import { tierKey, type TierKey } from './tier';

export interface StrategyReport {
  strategy: string;
  /** Jobs that entered a queue. */
  jobs: number;
  /** Jobs whose tier price at queue time exceeded the client's maximum: priced out. */
  pricedOut: number;
  /** Jobs accepted at the price and matched, over all jobs, basis points. */
  fillRateBps: bigint;
  /** price x GPUs x run time of the jobs that ran at the price they were queued at, base units. */
  revenue: bigint;
  /** Mean absolute change of a tier's price per interval, relative to the price, parts per million. */
  volatilityPpm: bigint;
  priceChanges: number;
}

/**
 * Replays one log under a strategy and scores it. The log's demand is what it is; what a price
 * changes is who accepts it: a job whose client maximum is below its tier's price at queue time
 * counts as priced out (not filled, no revenue). Jobs without a maximum always accept. A
 * counterfactual on a fixed log: capacity freed by priced-out jobs is not re-used.
 */
export function scoreStrategy(
  strategy: PricingStrategy,
  log: readonly SignalEvent[],
): StrategyReport {
  let state = initialEngineState(strategy);
  const accepted = new Map<string, { price: bigint; gpus: number; matchedAt: number }>();
  let jobs = 0;
  let pricedOut = 0;
  let filled = 0;
  let revenue = 0n;
  let priceChanges = 0;
  const ticksPerTier = new Map<TierKey, { prev: bigint; sumPpm: bigint; n: bigint }>();
  for (const entry of log) {
    if (entry.kind === 'job-queued') {
      jobs++;
      const p = state.prices.tiers.get(tierKey(entry))?.price;
      if (
        p !== undefined &&
        entry.maxPricePerGpuSecond !== undefined &&
        p > entry.maxPricePerGpuSecond
      )
        pricedOut++;
      else accepted.set(entry.jobId, { price: p ?? 0n, gpus: entry.gpus, matchedAt: -1 });
    } else if (entry.kind === 'job-matched') {
      const a = accepted.get(entry.jobId);
      if (a && a.matchedAt < 0) {
        filled++;
        a.matchedAt = entry.at;
        if (a.price === 0n)
          a.price = state.prices.tiers.get(tierKey({ ...entry, urgency: 'normal' }))?.price ?? 0n;
      }
    } else if (entry.kind === 'job-ended') {
      const a = accepted.get(entry.jobId);
      if (a && a.matchedAt >= 0)
        revenue += (a.price * BigInt(a.gpus) * BigInt(entry.at - a.matchedAt)) / 1000n;
      accepted.delete(entry.jobId);
    }
    const r = applyEntry(strategy, state, entry);
    state = r.state;
    priceChanges += r.points.filter((p) => p.previous !== 0n).length;
    if (entry.kind === 'tick') {
      for (const [tier, tp] of state.prices.tiers) {
        const t = ticksPerTier.get(tier);
        if (!t) ticksPerTier.set(tier, { prev: tp.price, sumPpm: 0n, n: 0n });
        else {
          t.sumPpm += (abs(tp.price - t.prev) * PPM) / (t.prev === 0n ? 1n : t.prev);
          t.n += 1n;
          t.prev = tp.price;
        }
      }
    }
  }
  let volSum = 0n;
  let volN = 0n;
  for (const t of ticksPerTier.values()) {
    if (t.n === 0n) continue;
    volSum += t.sumPpm / t.n;
    volN += 1n;
  }
  return {
    strategy: strategy.id,
    jobs,
    pricedOut,
    fillRateBps: jobs === 0 ? 0n : (BigInt(filled) * BPS) / BigInt(jobs),
    revenue,
    volatilityPpm: volN === 0n ? 0n : volSum / volN,
    priceChanges,
  };
}
