// Builders shared by the domain specs (not exported from the service).
import { DEFAULT_POLICY, type PricingPolicy } from './policy';
import { EMPTY_PRICES, price, type PriceState } from './price';
import { type SignalEvent } from './signal-events';
import { applySignal, EMPTY_SIGNALS, type MarketSignals } from './signals';
import { type Urgency } from './tier';

export const policy = (overrides: Partial<PricingPolicy> = {}): PricingPolicy => ({
  ...DEFAULT_POLICY,
  ...overrides,
});

/** A market with one H100 pool in us-east of `nodes` x 8 GPUs and `running` + `queued` GPUs of jobs. */
export function market(opts: {
  nodes: number;
  running?: number;
  queued?: number;
  urgency?: Urgency;
  region?: string;
}): MarketSignals {
  const region = opts.region ?? 'us-east';
  const events: SignalEvent[] = [];
  for (let i = 0; i < opts.nodes; i++)
    events.push({
      kind: 'node-up',
      at: 0,
      node: `${region}/n${i}`,
      region,
      gpuClass: 'H100-80GB',
      gpus: 8,
      vramMiB: 81559,
    });
  const urgency = opts.urgency ?? 'normal';
  for (let i = 0; i < (opts.running ?? 0); i++) {
    events.push({
      kind: 'job-queued',
      at: 0,
      jobId: `r${i}`,
      region,
      gpuClass: 'H100-80GB',
      urgency,
      gpus: 1,
    });
    events.push({
      kind: 'job-matched',
      at: 0,
      jobId: `r${i}`,
      region,
      gpuClass: 'H100-80GB',
      gpus: 1,
    });
  }
  for (let i = 0; i < (opts.queued ?? 0); i++)
    events.push({
      kind: 'job-queued',
      at: 0,
      jobId: `q${i}`,
      region,
      gpuClass: 'H100-80GB',
      urgency,
      gpus: 1,
    });
  return events.reduce(applySignal, EMPTY_SIGNALS);
}

/** Runs `steps` pricing intervals under constant signals; returns the state after each. */
export function run(
  p: PricingPolicy,
  signals: MarketSignals,
  steps: number,
  from: PriceState = EMPTY_PRICES,
): PriceState[] {
  const out: PriceState[] = [];
  let state = from;
  for (let i = 1; i <= steps; i++) {
    state = price(p, signals, state, i * p.intervalSeconds * 1000).state;
    out.push(state);
  }
  return out;
}

export const H100_NORMAL = 'H100-80GB/us-east/normal' as const;
export const priceOf = (s: PriceState, tier: string): bigint => {
  const t = s.tiers.get(tier as never);
  if (!t) throw new Error(`no price for ${tier}`);
  return t.price;
};
