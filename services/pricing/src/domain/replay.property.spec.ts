import fc from 'fast-check';
import { decodeSnapshot, encodeSnapshot } from './engine-snapshot';
import { parsePolicy } from './policy';
import { replay, type PricePoint } from './replay';
import { type SignalEvent } from './signal-events';
import { decodeSignalLog, encodeSignal } from './signal-log-codec';
import { flatStrategy, mtpStrategy } from './strategy';
import { URGENCIES } from './tier';

// Recorded logs as the service writes them: node and job events over a few regions, classes and
// ids (so events refer to each other), ticks in between, time never going backwards.
const region = fc.constantFrom('us-east', 'eu-west', 'ap-south');
const gpuClass = fc.constantFrom('H100-80GB', 'A100-40GB', 'RTX-4090', 'unknown' as const);
const node = fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5');
const job = fc.integer({ min: 1, max: 40 }).map((i) => `job-${i}`);

const entry: fc.Arbitrary<(at: number) => SignalEvent> = fc.oneof(
  fc
    .record({ node, region, gpuClass, gpus: fc.integer({ min: 0, max: 8 }) })
    .map((e) => (at: number) => ({ kind: 'node-up', at, vramMiB: 40960, ...e }) as const),
  fc
    .record({ node, kind: fc.constantFrom('node-down', 'node-restored', 'node-removed' as const) })
    .map((e) => (at: number) => ({ at, ...e })),
  fc
    .record({
      jobId: job,
      region,
      gpuClass,
      urgency: fc.constantFrom(...URGENCIES),
      gpus: fc.integer({ min: 1, max: 8 }),
      max: fc.option(fc.bigInt({ min: 0n, max: 10n ** 16n }), { nil: undefined }),
    })
    .map(({ max, ...e }) => (at: number) => ({
      kind: 'job-queued' as const,
      at,
      ...e,
      ...(max === undefined ? {} : { maxPricePerGpuSecond: max }),
    })),
  fc
    .record({ jobId: job, region, gpuClass, gpus: fc.integer({ min: 0, max: 8 }) })
    .map((e) => (at: number) => ({ kind: 'job-matched', at, ...e }) as const),
  fc
    .record({ jobId: job, region })
    .map((e) => (at: number) => ({ kind: 'job-rerouted', at, ...e }) as const),
  fc
    .record({ jobId: job, outcome: fc.constantFrom('finished', 'unfilled', 'cancelled' as const) })
    .map((e) => (at: number) => ({ kind: 'job-ended', at, ...e }) as const),
  fc.constant((at: number) => ({ kind: 'tick', at }) as const),
  fc.constant((at: number) => ({ kind: 'tick', at }) as const),
);

const log: fc.Arbitrary<SignalEvent[]> = fc
  .array(fc.tuple(entry, fc.integer({ min: 0, max: 120_000 })), { maxLength: 150 })
  .map((items) => {
    let at = 1_700_000_000_000;
    return items.map(([make, dt]) => make((at += dt)));
  });

const policies = [
  parsePolicy({}),
  parsePolicy({
    name: 'twitchy',
    maxStepBps: 5_000,
    demandAlphaBps: 10_000,
    deadbandBps: 0,
    sensitivityBps: 90_000,
  }),
];

const show = (h: PricePoint[]) =>
  h.map((p) => `${p.at} ${p.tier} ${p.previous}->${p.price} q${p.queuedGpus} f${p.freeGpus}`);

describe('replaying a recorded log (property)', () => {
  it.each(policies.map((p) => [p.name, p] as const))(
    'gives identical price histories every time (policy %s)',
    (_name, policy) => {
      fc.assert(
        fc.property(log, (events) => {
          for (const strategy of [mtpStrategy(policy), flatStrategy(policy)]) {
            const a = replay(strategy, events).history;
            const b = replay(strategy, events).history;
            expect(show(b)).toEqual(show(a));
          }
        }),
        { numRuns: 200 },
      );
    },
  );

  it('gives the same history from the JSON lines of the log as from the log itself', () => {
    fc.assert(
      fc.property(log, (events) => {
        const text = events.map(encodeSignal).join('\n');
        const strategy = mtpStrategy(policies[1]!);
        expect(show(replay(strategy, decodeSignalLog(text)).history)).toEqual(
          show(replay(strategy, events).history),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same history when resumed from a stored snapshot at any point', () => {
    fc.assert(
      fc.property(log, fc.nat(), (events, cut) => {
        const at = events.length === 0 ? 0 : cut % events.length;
        const strategy = mtpStrategy(policies[1]!);
        const whole = replay(strategy, events).history;
        const first = replay(strategy, events.slice(0, at));
        const stored = JSON.parse(JSON.stringify(encodeSnapshot(first.state))) as unknown;
        const rest = replay(strategy, events.slice(at), decodeSnapshot(stored));
        expect(show([...first.history, ...rest.history])).toEqual(show(whole));
        expect(encodeSnapshot(rest.state)).toEqual(encodeSnapshot(replay(strategy, events).state));
      }),
      { numRuns: 200 },
    );
  });
});
