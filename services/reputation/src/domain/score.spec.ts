import fc from 'fast-check';
import { type Evidence } from './evidence';
import { DEFAULT_MODEL as M } from './model-config';
import { computeScore, decayFactor, isExcluded, newcomerScoreBps } from './score';
import {
  DAY,
  T0,
  fault,
  quarantine,
  runtime,
  slash,
  startup,
  success,
  workloadError,
} from './test-evidence';

const score = (ev: Evidence[], now = T0) => computeScore(ev, now, M).scoreBps;

describe('computeScore', () => {
  it('gives a newcomer the prior mean: neither trusted nor excluded', () => {
    // given no evidence, when scored, then the score is a/(a+b) = 0.8 and above the threshold
    expect(newcomerScoreBps(M)).toBe(8_000);
    expect(isExcluded(newcomerScoreBps(M), M)).toBe(false);
    expect(score([success(T0, 360_000)])).toBeGreaterThan(8_000);
  });

  it('is monotone in success: one more success never lowers the score', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.integer({ min: 0, max: 30 }),
            fc.integer({ min: 1, max: 20_000 }),
          ),
        ),
        fc.integer({ min: 1, max: 20_000 }),
        (items, extra) => {
          const ev = items.map(([ok, days, gs]) =>
            ok ? success(T0 - days * DAY, gs) : fault(T0 - days * DAY, gs / 3_600),
          );
          expect(score([...ev, success(T0, extra)])).toBeGreaterThanOrEqual(score(ev));
          expect(score([...ev, fault(T0, extra / 3_600)])).toBeLessThanOrEqual(score(ev));
        },
      ),
    );
  });

  it('ignores workload errors and self-dealing', () => {
    // given a history, when workload errors are added, then the score is unchanged
    const ev = [success(T0 - DAY), fault(T0 - 2 * DAY)];
    expect(score([...ev, workloadError(T0), workloadError(T0)])).toBe(score(ev));
    expect(score([{ ...success(T0), kind: 'ignored', cause: 'self-dealing' }])).toBe(
      newcomerScoreBps(M),
    );
  });

  it('decays: old faults matter less than recent ones, and at the horizon hardly at all', () => {
    const recent = score([fault(T0, 5)]);
    const old = score([fault(T0 - 30 * DAY, 5)]);
    const ancient = score([fault(T0 - 365 * DAY, 5)]);
    expect(recent).toBeLessThan(old);
    expect(old).toBeLessThan(ancient);
    expect(Math.abs(ancient - newcomerScoreBps(M))).toBeLessThanOrEqual(1);
    expect(decayFactor(M.halfLifeDays * DAY, M.halfLifeDays)).toBeCloseTo(0.5, 12);
  });

  it('weights by GPU-seconds: a burst of tiny successes cannot outweigh real failures', () => {
    // given three failed GPU-hours, when a thousand one-second jobs succeed, the provider stays excluded
    const faults = [fault(T0, 1), fault(T0, 1), fault(T0, 1), fault(T0, 1)];
    const burst = Array.from({ length: 1_000 }, () => success(T0, 1));
    expect(isExcluded(score(faults), M)).toBe(true);
    expect(isExcluded(score([...faults, ...burst]), M)).toBe(true);
    // while the same number of real GPU-hours lifts it
    expect(
      isExcluded(score([...faults, ...Array.from({ length: 10 }, () => success(T0, 3_600))]), M),
    ).toBe(false);
  });

  it('caps one job: a single huge job cannot buy trust after real faults', () => {
    const faults = Array.from({ length: 30 }, () => fault(T0, 1));
    expect(isExcluded(score([...faults, success(T0, 10_000_000)]), M)).toBe(true);
  });

  it('slashes weigh heavily and decay slowly', () => {
    const good = Array.from({ length: 20 }, () => success(T0 - DAY));
    expect(isExcluded(score(good), M)).toBe(false);
    expect(isExcluded(score([...good, slash(T0)]), M)).toBe(true);
    // 30 days on, the job evidence has decayed by more than half but the slash is still felt
    const later = computeScore([...good, slash(T0)], T0 + 30 * DAY, M);
    expect(later.slashFactor).toBeLessThan(0.3);
    const b = computeScore([slash(T0)], T0 + 90 * DAY, M);
    expect(b.contributions[0]!.decay).toBeCloseTo(0.5, 12);
  });

  it('lowers the score for slow starts, slow runs and quarantines, bounded by auxWeight', () => {
    const n = newcomerScoreBps(M);
    const slow = Array.from({ length: 20 }, () => startup(T0, 10_000));
    expect(score(slow)).toBeLessThan(n);
    expect(score(Array.from({ length: 20 }, () => startup(T0, 5)))).toBe(n);
    expect(score(Array.from({ length: 20 }, () => runtime(T0, 3)))).toBeLessThan(n);
    expect(score(Array.from({ length: 20 }, () => runtime(T0, 1.05)))).toBe(n);
    const open = computeScore([quarantine(T0 - DAY)], T0, M);
    const closed = computeScore([quarantine(T0 - DAY, T0 - DAY + 60_000)], T0, M);
    expect(open.availability).toBeLessThan(closed.availability);
    const worst = computeScore(
      [...slow, ...Array.from({ length: 50 }, () => quarantine(T0 - DAY))],
      T0,
      M,
    );
    expect(worst.scoreBps).toBeGreaterThanOrEqual(Math.floor(n * (1 - M.auxWeight)));
  });

  it('stays in [0, 10000] and is deterministic for any evidence', () => {
    const arb = fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 100_000 }).map((g) => success(T0 - g * 1000, g)),
        fc.double({ min: 0, max: 50, noNaN: true }).map((w) => fault(T0 - 1000, w)),
        fc.double({ min: 0, max: 1, noNaN: true }).map((s) => slash(T0 - 1000, s)),
        fc.integer({ min: 0, max: 100_000 }).map((s) => startup(T0, s)),
      ),
    );
    fc.assert(
      fc.property(arb, (ev) => {
        const s = score(ev);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(10_000);
        expect(Number.isInteger(s)).toBe(true);
        expect(score(ev)).toBe(s);
      }),
    );
  });

  it('explains itself: every piece of evidence with its decayed weight', () => {
    const ev = [success(T0 - 14 * DAY, 7_200), fault(T0, 1), workloadError(T0)];
    const b = computeScore(ev, T0, M);
    expect(b.contributions.map((c) => c.eventId)).toEqual(ev.map((e) => e.eventId));
    expect(b.contributions[0]).toMatchObject({ kind: 'success', effectiveWeight: 1 });
    expect(b.contributions[2]).toMatchObject({
      kind: 'ignored',
      cause: 'workload-error',
      effectiveWeight: 0,
    });
    expect(b.successWeight).toBeCloseTo(1, 12);
    expect(b.faultWeight).toBe(1);
    expect(b.reliability).toBeCloseTo((4 + 1) / (5 + 2), 12);
    expect(b.counts).toMatchObject({ succeeded: 1, faults: 1, ignored: 1 });
  });
});
