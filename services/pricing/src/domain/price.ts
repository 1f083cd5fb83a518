import { isKnownGpuClass, type KnownGpuClass } from '@starminer/gpu-catalogue';
import { BPS, SCALE, abs, clamp, ewma, mulBps } from './fixed-point';
import { neutralPrice, type PricingPolicy } from './policy';
import { poolViews, type MarketSignals, type PoolView } from './signals';
import { URGENCIES, parsePoolKey, tierKey, type PoolKey, type TierKey, type Urgency } from './tier';

/** Smoothed supply and demand of a pool, in GPUs x SCALE. */
export interface PoolSmoothing {
  demand: bigint;
  supply: bigint;
}

export interface TierPrice {
  /** AGPU base units per GPU-second. */
  price: bigint;
  /** Inputs seen when the price was last set, for audit (PriceUpdated). */
  queuedGpus: number;
  freeGpus: number;
  /** Unix ms of the interval that last changed the price. */
  changedAt: number;
}

/** Everything one pricing step carries to the next: prices and smoothed signals. */
export interface PriceState {
  /** Unix ms of the last pricing step, 0 before the first. */
  at: number;
  pools: ReadonlyMap<PoolKey, PoolSmoothing>;
  tiers: ReadonlyMap<TierKey, TierPrice>;
}

export const EMPTY_PRICES: PriceState = { at: 0, pools: new Map(), tiers: new Map() };

export interface PriceChange {
  tier: TierKey;
  gpuClass: KnownGpuClass;
  region: string;
  urgency: Urgency;
  previous: bigint;
  price: bigint;
  queuedGpus: number;
  freeGpus: number;
}

export interface PricingStep {
  state: PriceState;
  /** Tiers whose price changed (or were priced for the first time), in tier-key order. */
  changes: PriceChange[];
}

/**
 * Utilization of a pool in basis points from smoothed demand and supply. A pool with demand and
 * no supply is as scarce as it gets; one with neither has no information (undefined: hold).
 */
export function utilizationBps(s: PoolSmoothing): bigint | undefined {
  if (s.supply <= 0n) return s.demand > 0n ? 1_000_000n : undefined;
  return (s.demand * BPS) / s.supply;
}

/** Price factor of a utilization: 1 + sensitivity x (u - target), within floor and ceiling. */
export function priceFactorBps(policy: PricingPolicy, uBps: bigint): bigint {
  const factor = BPS + (policy.sensitivityBps * (uBps - policy.targetUtilizationBps)) / BPS;
  return clamp(factor, policy.floorBps, policy.ceilingBps);
}

/** One tier's move toward its target: at most maxStep, nothing inside the deadband, within bounds. */
export function stepToward(
  policy: PricingPolicy,
  previous: bigint,
  target: bigint,
  floor: bigint,
  ceiling: bigint,
): bigint {
  const gap = target - previous;
  if (abs(gap) * BPS <= previous * policy.deadbandBps) return clamp(previous, floor, ceiling);
  let maxDelta = mulBps(previous, policy.maxStepBps);
  if (maxDelta < 1n) maxDelta = 1n;
  return clamp(previous + clamp(gap, -maxDelta, maxDelta), floor, ceiling);
}

function smooth(
  policy: PricingPolicy,
  prev: PoolSmoothing | undefined,
  v: PoolView,
): PoolSmoothing {
  const demand = BigInt(v.queuedGpus + v.runningGpus) * SCALE;
  const supply = BigInt(v.totalGpus) * SCALE;
  // A pool seen for the first time starts at its current values rather than ramping up from 0.
  if (!prev) return { demand, supply };
  return {
    demand: ewma(prev.demand, demand, policy.demandAlphaBps),
    supply: ewma(prev.supply, supply, policy.supplyAlphaBps),
  };
}

/**
 * The Multi-Tier Pricing step: from the market's signals and the previous step's state, the
 * price of every tier at `now` (unix ms). Pure and integer-only: the same inputs give the same
 * bits on any machine.
 *
 * Per pool (GPU class x region) the demand (queued + running GPUs) and supply (GPUs of active
 * nodes) are smoothed with an EWMA; their ratio is the utilization u. The target price of a tier
 * is base(class) x urgency x clamp(1 + sensitivity x (u - target), floor, ceiling). The price
 * moves toward the target by at most maxStep per interval and ignores gaps inside the deadband.
 * The target depends on the smoothed signals only, never on the price, and each step moves
 * toward it without passing it: under a constant load the price converges and then holds.
 */
export function price(
  policy: PricingPolicy,
  signals: MarketSignals,
  previous: PriceState,
  now: number,
): PricingStep {
  const pools = new Map<PoolKey, PoolSmoothing>();
  const tiers = new Map(previous.tiers);
  const changes: PriceChange[] = [];
  for (const [key, view] of poolViews(signals)) {
    const { gpuClass, region } = parsePoolKey(key);
    if (!isKnownGpuClass(gpuClass)) continue;
    const smoothed = smooth(policy, previous.pools.get(key), view);
    pools.set(key, smoothed);
    const u = utilizationBps(smoothed);
    const factor = u === undefined ? undefined : priceFactorBps(policy, u);
    const freeGpus = Math.max(0, view.totalGpus - view.runningGpus);
    for (const urgency of URGENCIES) {
      const tier = tierKey({ gpuClass, region, urgency });
      const neutral = neutralPrice(policy, gpuClass, urgency);
      const floor = mulBps(neutral, policy.floorBps);
      const ceiling = mulBps(neutral, policy.ceilingBps);
      const before = previous.tiers.get(tier);
      const from = before?.price ?? neutral;
      const target = factor === undefined ? from : mulBps(neutral, factor);
      const next = stepToward(policy, from, target, floor, ceiling);
      const queuedGpus = view.queuedByTier.get(tier) ?? 0;
      if (before && next === before.price) continue;
      tiers.set(tier, { price: next, queuedGpus, freeGpus, changedAt: now });
      changes.push({
        tier,
        gpuClass,
        region,
        urgency,
        previous: before?.price ?? 0n,
        price: next,
        queuedGpus,
        freeGpus,
      });
    }
  }
  // Pools that vanished from the signals keep their smoothing, so a node that comes back does
  // not reset its pool's history.
  for (const [key, s] of previous.pools) if (!pools.has(key)) pools.set(key, s);
  return { state: { at: now, pools, tiers }, changes };
}
