import { decide } from './job-decide';
import { type JobCommand } from './job-commands';
import { aSpec, fund, given, match, quote, submit, T0 } from './job.fixtures';

const reroute = (over: Partial<Extract<JobCommand, { type: 'Reroute' }>> = {}): JobCommand => ({
  type: 'Reroute',
  proposalId: 'p-1',
  toRegion: 'eu-west',
  expectedVersion: 4,
  currentVersion: 4,
  rttMs: 0,
  tierPrice: 10n,
  placementDeadline: '2030-01-01T00:40:00.000Z',
  ...over,
});

// Quoted at 10 per GPU-second in us-east; after funding the stream is at version 4.
const queued = () => given([submit(), quote(10n), fund()]).state;
const overflowed = () =>
  given([{ type: 'Overflow', now: '2030-01-01T00:20:00.000Z', queuedAt: T0 }], queued()).state;

describe('Job aggregate: spill and reroute', () => {
  it('given a queued job in a saturated region, when spillover reroutes it early, then it is queued in the new region', () => {
    const moved = given([reroute()], queued());
    expect(moved.events.map((e) => e.type)).toEqual(['JobRerouted', 'JobQueued']);
    expect(moved.events[0]).toMatchObject({ fromRegion: 'us-east', toRegion: 'eu-west' });
    expect(moved.state).toMatchObject({ status: 'Queued', reroutedTo: 'eu-west' });
  });

  it('refuses a reroute to the region the job already waits in', () => {
    expect(() => decide(queued(), reroute({ toRegion: 'us-east' }))).toThrow(
      /already waits in us-east; a reroute must name another region/,
    );
    const there = given([reroute()], queued()).state;
    expect(() => decide(there, reroute({ toRegion: 'eu-west' }))).toThrow(
      /already waits in eu-west/,
    );
  });

  it('keeps a rerouted job within its funded quote: a dearer or unpriced tier is refused, its own quoted region needs no price', () => {
    expect(() => decide(overflowed(), reroute({ tierPrice: 11n }))).toThrow(
      /costs 11 per GPU-second, above the funded quote of 10/,
    );
    expect(() => decide(overflowed(), reroute({ tierPrice: undefined }))).toThrow(
      /no price is published for NVIDIA-H100-80GB-HBM3 in eu-west/,
    );
    expect(given([reroute({ tierPrice: 10n })], overflowed()).state.reroutedTo).toBe('eu-west');
    const away = given([reroute()], overflowed()).state;
    const home = given(
      [
        reroute({
          toRegion: 'us-east',
          tierPrice: undefined,
          expectedVersion: 7,
          currentVersion: 7,
        }),
      ],
      away,
    );
    expect(home.state).toMatchObject({ status: 'Queued', reroutedTo: 'us-east' });
  });

  it('refuses an interactive job outside its latency budget even when spilled early', () => {
    const interactive = given([
      submit(
        aSpec({
          latency: {
            mode: { $case: 'interactive', value: { clientRegion: 'us-east', maxRttMs: 50 } },
          },
        }),
      ),
      quote(10n),
      fund(),
    ]).state;
    expect(() => decide(interactive, reroute({ rttMs: 78 }))).toThrow(/78 ms from us-east/);
  });

  it('matches an overflowed job in its own region when capacity frees there first', () => {
    const matched = given([match()], overflowed());
    expect(matched.events.map((e) => e.type)).toEqual(['JobMatched']);
    expect(matched.state.status).toBe('Matched');
  });

  it('records a routing note while the job waits, once per distinct reason, and clears it on a match', () => {
    const note = (reason: string): JobCommand => ({ type: 'NoteRouting', reason });
    const noted = given([note('no region qualifies: eu-west 78 ms > 50 ms budget')], overflowed());
    expect(noted.events).toEqual([
      expect.objectContaining({
        type: 'JobRoutingBlocked',
        region: 'us-east',
        reason: 'no region qualifies: eu-west 78 ms > 50 ms budget',
      }),
    ]);
    expect(noted.state.routingNote).toBe('no region qualifies: eu-west 78 ms > 50 ms budget');
    expect(decide(noted.state, note('no region qualifies: eu-west 78 ms > 50 ms budget'))).toEqual(
      [],
    );
    expect(decide(noted.state, note('another reason'))).toHaveLength(1);
    const matched = given([match()], noted.state).state;
    expect(matched.routingNote).toBeUndefined();
    // A note that arrives after the job moved on changes nothing.
    expect(decide(matched, note('late'))).toEqual([]);
  });
});
