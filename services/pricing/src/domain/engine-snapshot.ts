import { type PriceState } from './price';
import { type EngineState } from './replay';
import { type MarketSignals } from './signals';

/**
 * Engine state as plain JSON (Maps as entry lists, bigints as decimal strings), so the service
 * can store a snapshot with each tick and resume from it instead of replaying the whole log.
 * Decoding an encoded snapshot gives back an equal state: a property test checks that resuming
 * from a snapshot prices exactly as an uninterrupted replay.
 */
export function encodeSnapshot(state: EngineState): unknown {
  const s = state.signals;
  const p = state.prices;
  return {
    signals: { nodes: [...s.nodes], jobs: [...s.jobs], stats: [...s.stats] },
    prices: {
      at: p.at,
      pools: [...p.pools].map(([k, v]) => [
        k,
        { demand: v.demand.toString(), supply: v.supply.toString() },
      ]),
      tiers: [...p.tiers].map(([k, v]) => [k, { ...v, price: v.price.toString() }]),
    },
  };
}

type Entries<V> = Array<[string, V]>;

export function decodeSnapshot(json: unknown): EngineState {
  const o = json as {
    signals: { nodes: Entries<unknown>; jobs: Entries<unknown>; stats: Entries<unknown> };
    prices: {
      at: number;
      pools: Entries<{ demand: string; supply: string }>;
      tiers: Entries<{ price: string; queuedGpus: number; freeGpus: number; changedAt: number }>;
    };
  };
  const signals = {
    nodes: new Map(o.signals.nodes),
    jobs: new Map(o.signals.jobs),
    stats: new Map(o.signals.stats),
  } as unknown as MarketSignals;
  const prices: PriceState = {
    at: o.prices.at,
    pools: new Map(
      o.prices.pools.map(([k, v]) => [
        k as never,
        { demand: BigInt(v.demand), supply: BigInt(v.supply) },
      ]),
    ),
    tiers: new Map(o.prices.tiers.map(([k, v]) => [k as never, { ...v, price: BigInt(v.price) }])),
  };
  return { signals, prices };
}
