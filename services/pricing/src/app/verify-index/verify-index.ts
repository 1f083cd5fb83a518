import { replay } from '../../domain/replay';
import { type PricingStrategy } from '../../domain/strategy';
import { type PriceIndexReader, type SignalHistory } from '../ports';

export interface IndexVerification {
  entries: number;
  stored: number;
  replayed: number;
  /** First differences between the stored index and the replay, as readable lines. */
  mismatches: string[];
}

/**
 * Replays the recorded input log from the start with `strategy` and compares every price it
 * sets with the stored price index, point by point: the index is reproducible when none differ.
 */
export async function verifyIndex(
  signals: SignalHistory,
  index: PriceIndexReader,
  strategy: PricingStrategy,
): Promise<IndexVerification> {
  const log = await signals.entriesAfter(0n);
  const { history } = replay(
    strategy,
    log.map((l) => l.entry),
  );
  const stored = (await index.all()).filter((p) => p.strategy === strategy.id);
  const mismatches: string[] = [];
  const n = Math.max(history.length, stored.length);
  for (let i = 0; i < n && mismatches.length < 10; i++) {
    const r = history[i];
    const s = stored[i];
    const a = r && `${r.at} ${r.tier} ${r.previous} -> ${r.price}`;
    const b = s && `${s.at.getTime()} ${s.tier} ${s.previous} -> ${s.price}`;
    if (a !== b) mismatches.push(`#${i}: replay ${a ?? '(none)'} / stored ${b ?? '(none)'}`);
  }
  return { entries: log.length, stored: stored.length, replayed: history.length, mismatches };
}
