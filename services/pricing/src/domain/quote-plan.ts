import {
  GPU_CATALOGUE,
  classesWithVram,
  isKnownGpuClass,
  resolveGpuClass,
  type KnownGpuClass,
} from '@starminer/gpu-catalogue';
import { ceilDiv } from './fixed-point';
import { neutralPrice, type PricingPolicy } from './policy';
import { type PriceState } from './price';
import { poolViews, type MarketSignals, type PoolView } from './signals';
import { URGENCIES, parsePoolKey, tierKey, type TierKey, type Urgency } from './tier';

/** What a client asks a price for (the pricing-relevant part of a job spec). */
export interface QuoteSpec {
  /** A GPU class or product label; empty = any class with at least minVramMiB. */
  gpuProduct: string;
  minVramMiB: number;
  gpuCount: number;
  urgency: Urgency;
  /** Best first; regions not listed are offered after them. */
  regionPreference: string[];
  maxDurationSeconds: number;
}

export interface Offer {
  tier: TierKey;
  gpuClass: KnownGpuClass;
  region: string;
  urgency: Urgency;
  pricePerGpuSecond: bigint;
  maxGpuSeconds: bigint;
  /** price x GPUs x max duration: the escrow deposit. */
  maxTotal: bigint;
  estimatedWaitSeconds: number;
  freeGpus: number;
}

export type InfeasibleReason =
  'unknown-gpu-product' | 'no-supply-for-product' | 'no-gpu-with-vram' | 'too-many-gpus';

export type QuotePlan =
  | { feasible: true; offers: Offer[] }
  | { feasible: false; reason: InfeasibleReason; message: string };

/**
 * Estimated wait before a job of `gpus` GPUs starts in a pool: zero when free GPUs cover it and
 * the jobs queued ahead (same or higher urgency); otherwise the GPUs still missing, freed at the
 * pool's observed pace (mean run time over total GPUs). Coarse by design: an estimate, not a promise.
 */
export function estimateWaitSeconds(
  view: PoolView,
  urgency: Urgency,
  gpus: number,
  meanRunSeconds: number,
): number {
  const rank = URGENCIES.indexOf(urgency);
  let ahead = 0;
  for (const [tier, queued] of view.queuedByTier) {
    const u = tier.slice(tier.lastIndexOf('/') + 1) as Urgency;
    if (URGENCIES.indexOf(u) >= rank) ahead += queued;
  }
  const free = Math.max(0, view.totalGpus - view.runningGpus);
  const missing = ahead + gpus - free;
  if (missing <= 0) return 0;
  if (view.totalGpus === 0) return meanRunSeconds;
  return Number(ceilDiv(BigInt(missing) * BigInt(meanRunSeconds), BigInt(view.totalGpus)));
}

function meanRunSeconds(signals: MarketSignals, view: PoolView, policy: PricingPolicy): number {
  const st = signals.stats.get(view.pool);
  if (!st || st.finished === 0) return policy.defaultJobSeconds;
  return Math.max(1, Math.round(st.runMsTotal / st.finished / 1000));
}

function nameList(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

/**
 * Every tier and region that can run the spec, with its price, deposit and estimated start; or
 * why none can. A region is feasible when one of its active nodes of the class has enough GPUs.
 */
export function planQuote(
  policy: PricingPolicy,
  signals: MarketSignals,
  prices: PriceState,
  spec: QuoteSpec,
): QuotePlan {
  let classes: KnownGpuClass[];
  if (spec.gpuProduct) {
    const cls = resolveGpuClass(spec.gpuProduct);
    if (!isKnownGpuClass(cls))
      return {
        feasible: false,
        reason: 'unknown-gpu-product',
        message: `GPU product "${spec.gpuProduct}" is not in the GPU catalogue; known classes: ${Object.keys(GPU_CATALOGUE).join(', ')}`,
      };
    if (GPU_CATALOGUE[cls].vramMiB < spec.minVramMiB)
      return {
        feasible: false,
        reason: 'no-gpu-with-vram',
        message: `${cls} has ${GPU_CATALOGUE[cls].vramMiB} MiB per GPU, less than the ${spec.minVramMiB} MiB asked`,
      };
    classes = [cls];
  } else {
    classes = classesWithVram(spec.minVramMiB);
    if (classes.length === 0)
      return {
        feasible: false,
        reason: 'no-gpu-with-vram',
        message: `no GPU class has ${spec.minVramMiB} MiB per GPU`,
      };
  }

  const views = [...poolViews(signals).values()].filter((v) => {
    const { gpuClass } = parsePoolKey(v.pool);
    return (classes as string[]).includes(gpuClass) && v.totalGpus > 0;
  });
  if (views.length === 0)
    return {
      feasible: false,
      reason: 'no-supply-for-product',
      message: `no active node offers ${nameList(classes)} in any region`,
    };
  const fitting = views.filter((v) => v.largestNodeGpus >= spec.gpuCount);
  if (fitting.length === 0) {
    const largest = Math.max(...views.map((v) => v.largestNodeGpus));
    return {
      feasible: false,
      reason: 'too-many-gpus',
      message: `${spec.gpuCount} GPUs asked, but the largest node of ${nameList(classes)} has ${largest}; a job's GPUs must be on one node`,
    };
  }

  const maxGpuSeconds = BigInt(spec.gpuCount) * BigInt(spec.maxDurationSeconds);
  const offers = fitting.map((view): Offer => {
    const { gpuClass, region } = parsePoolKey(view.pool) as {
      gpuClass: KnownGpuClass;
      region: string;
    };
    const tier = tierKey({ gpuClass, region, urgency: spec.urgency });
    const p = prices.tiers.get(tier)?.price ?? neutralPrice(policy, gpuClass, spec.urgency);
    return {
      tier,
      gpuClass,
      region,
      urgency: spec.urgency,
      pricePerGpuSecond: p,
      maxGpuSeconds,
      maxTotal: p * maxGpuSeconds,
      estimatedWaitSeconds: estimateWaitSeconds(
        view,
        spec.urgency,
        spec.gpuCount,
        meanRunSeconds(signals, view, policy),
      ),
      freeGpus: Math.max(0, view.totalGpus - view.runningGpus),
    };
  });
  const rank = (region: string) => {
    const i = spec.regionPreference.indexOf(region);
    return i < 0 ? spec.regionPreference.length : i;
  };
  offers.sort(
    (a, b) =>
      rank(a.region) - rank(b.region) ||
      (a.pricePerGpuSecond < b.pricePerGpuSecond
        ? -1
        : a.pricePerGpuSecond > b.pricePerGpuSecond
          ? 1
          : 0) ||
      (a.tier < b.tier ? -1 : 1),
  );
  return { feasible: true, offers };
}
