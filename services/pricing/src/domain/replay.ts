import { type PriceState } from './price';
import { type SignalEvent } from './signal-events';
import { applySignal, EMPTY_SIGNALS, type MarketSignals } from './signals';
import { type PricingStrategy } from './strategy';
import { type TierKey } from './tier';

/** One price set at one tick: the public price index is the list of these. */
export interface PricePoint {
  at: number;
  tier: TierKey;
  previous: bigint;
  price: bigint;
  queuedGpus: number;
  freeGpus: number;
}

export interface EngineState {
  signals: MarketSignals;
  prices: PriceState;
}

export function initialEngineState(strategy: PricingStrategy): EngineState {
  return { signals: EMPTY_SIGNALS, prices: strategy.initial() };
}

/**
 * Applies one log entry: a market event updates the signals, a tick runs the strategy. The
 * service and every replay go through this one function, which is what makes the index
 * reproducible from the log.
 */
export function applyEntry(
  strategy: PricingStrategy,
  state: EngineState,
  entry: SignalEvent,
): { state: EngineState; points: PricePoint[] } {
  if (entry.kind !== 'tick')
    return { state: { ...state, signals: applySignal(state.signals, entry) }, points: [] };
  const step = strategy.step(state.signals, state.prices, entry.at);
  return {
    state: { signals: state.signals, prices: step.state },
    points: step.changes.map((c) => ({
      at: entry.at,
      tier: c.tier,
      previous: c.previous,
      price: c.price,
      queuedGpus: c.queuedGpus,
      freeGpus: c.freeGpus,
    })),
  };
}

/** Replays a whole log from the empty market; returns every price set and the final state. */
export function replay(
  strategy: PricingStrategy,
  log: Iterable<SignalEvent>,
  from: EngineState = initialEngineState(strategy),
): { state: EngineState; history: PricePoint[] } {
  let state = from;
  const history: PricePoint[] = [];
  for (const entry of log) {
    const r = applyEntry(strategy, state, entry);
    state = r.state;
    history.push(...r.points);
  }
  return { state, history };
}
