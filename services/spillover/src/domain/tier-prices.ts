import { resolveGpuClass } from '@starminer/gpu-catalogue';

/** One published tier price: token base units per GPU-second. */
export interface TierPrice {
  product: string;
  region: string;
  urgency: number;
  price: bigint;
}

/** Tier key: prices are per GPU class (pricing names a tier by the class's canonical label). */
export const priceKey = (product: string, region: string, urgency: number): string => {
  const cls = resolveGpuClass(product);
  return `${cls === 'unknown' ? product : cls}|${region}|${urgency}`;
};

/** The price lookup of a plan (PlanInput.price) over the prices last published per tier. */
export function tierPriceLookup(
  prices: readonly TierPrice[],
): (product: string, region: string, urgency: number) => bigint | undefined {
  const byKey = new Map(prices.map((p) => [priceKey(p.product, p.region, p.urgency), p.price]));
  return (product, region, urgency) => byKey.get(priceKey(product, region, urgency));
}
