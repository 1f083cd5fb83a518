import { isKnownGpuClass } from '@starminer/gpu-catalogue';
import { neutralPrice, type PricingPolicy } from './policy';
import { EMPTY_PRICES, price, type PriceChange, type PriceState, type PricingStep } from './price';
import { poolViews, type MarketSignals } from './signals';
import { URGENCIES, parsePoolKey, tierKey } from './tier';

/**
 * The port every pricing policy implements, so the service can run one and the compare command
 * can run several over the same recorded log. Implementations are pure: time is an argument.
 */
export interface PricingStrategy {
  /** "<strategy>@<policy name>", recorded with every price it sets. */
  readonly id: string;
  readonly intervalSeconds: number;
  initial(): PriceState;
  step(signals: MarketSignals, previous: PriceState, now: number): PricingStep;
}

/** The Multi-Tier Pricing engine: prices follow the smoothed imbalance of demand and supply. */
export function mtpStrategy(policy: PricingPolicy): PricingStrategy {
  return {
    id: `mtp@${policy.name}`,
    intervalSeconds: policy.intervalSeconds,
    initial: () => EMPTY_PRICES,
    step: (signals, previous, now) => price(policy, signals, previous, now),
  };
}

/** A static baseline: every tier at base x urgency, whatever the market does. */
export function flatStrategy(policy: PricingPolicy): PricingStrategy {
  return {
    id: `flat@${policy.name}`,
    intervalSeconds: policy.intervalSeconds,
    initial: () => EMPTY_PRICES,
    step: (signals, previous, now) => {
      const tiers = new Map(previous.tiers);
      const changes: PriceChange[] = [];
      for (const [key, view] of poolViews(signals)) {
        const { gpuClass, region } = parsePoolKey(key);
        if (!isKnownGpuClass(gpuClass)) continue;
        for (const urgency of URGENCIES) {
          const tier = tierKey({ gpuClass, region, urgency });
          if (tiers.has(tier)) continue;
          const p = neutralPrice(policy, gpuClass, urgency);
          const freeGpus = Math.max(0, view.totalGpus - view.runningGpus);
          const queuedGpus = view.queuedByTier.get(tier) ?? 0;
          tiers.set(tier, { price: p, queuedGpus, freeGpus, changedAt: now });
          changes.push({
            tier,
            gpuClass,
            region,
            urgency,
            previous: 0n,
            price: p,
            queuedGpus,
            freeGpus,
          });
        }
      }
      return { state: { at: now, pools: previous.pools, tiers }, changes };
    },
  };
}

export type StrategyName = 'mtp' | 'flat';

export const STRATEGIES: Record<StrategyName, (policy: PricingPolicy) => PricingStrategy> = {
  mtp: mtpStrategy,
  flat: flatStrategy,
};
