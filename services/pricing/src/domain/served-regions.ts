import { type SignalEvent } from './signal-events';
import { type MarketSignals } from './signals';
import { parsePoolKey } from './tier';

/**
 * A signal as the market of the served regions sees it. Supply of another region is not
 * recorded (the consumer's scope refuses such node events already). A job queued, matched or
 * rerouted into another region leaves this market: it is recorded as ended (cancelled, which
 * counts against no pool's statistics), so its GPUs stop counting as demand here and no tier
 * of that region is ever priced from it.
 */
export function withinServedRegions(
  signal: SignalEvent,
  served: ReadonlySet<string>,
): SignalEvent | undefined {
  switch (signal.kind) {
    case 'node-up':
      return served.has(signal.region) ? signal : undefined;
    case 'job-queued':
    case 'job-matched':
    case 'job-rerouted':
      return served.has(signal.region)
        ? signal
        : { kind: 'job-ended', at: signal.at, jobId: signal.jobId, outcome: 'cancelled' };
    default:
      return signal;
  }
}

/**
 * Log entries that take off the market every node and job of a region no longer served (one
 * dropped from the regions file since they were recorded), so the engine stops pricing its
 * tiers. Empty when the market holds only served regions. Entries are in key order: the same
 * state gives the same entries.
 */
export function leaveUnservedRegions(
  signals: MarketSignals,
  served: ReadonlySet<string>,
  at: number,
): SignalEvent[] {
  const outside = (pool: `${string}/${string}`) => !served.has(parsePoolKey(pool).region);
  const entries: SignalEvent[] = [];
  for (const [node, rec] of [...signals.nodes].sort(([a], [b]) => (a < b ? -1 : 1)))
    if (outside(rec.pool)) entries.push({ kind: 'node-removed', at, node });
  for (const [jobId, rec] of [...signals.jobs].sort(([a], [b]) => (a < b ? -1 : 1)))
    if (outside(rec.pool)) entries.push({ kind: 'job-ended', at, jobId, outcome: 'cancelled' });
  return entries;
}
