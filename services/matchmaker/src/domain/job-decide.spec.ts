import { eventsV1 } from '@starminer/proto';
import { decide } from './job-decide';
import { IllegalTransitionError, CommandRejectedError } from './errors';
import { aSpec, dispatch, fund, given, match, quote, start, submit, T0 } from './job.fixtures';

describe('Job aggregate', () => {
  it('walks the main path Submitted -> Quoted -> Funded -> Queued -> Matched -> Dispatched -> Running -> Succeeded -> Settled', () => {
    const { state, events } = given([
      submit(),
      quote(),
      fund(),
      match(),
      dispatch(),
      start(),
      { type: 'RecordSuccess', attempt: 1, gpuSeconds: 20n },
      {
        type: 'RecordSettlement',
        outcome: 'released',
        provider: '0xp',
        gpuSeconds: 20n,
        providerPayout: 200n,
        clientRefund: 11_800n,
        protocolFee: 0n,
      },
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'JobSubmitted',
      'JobQuoted',
      'JobFunded',
      'JobQueued',
      'JobMatched',
      'JobDispatched',
      'JobStarted',
      'JobSucceeded',
      'JobSettled',
    ]);
    expect(state.status).toBe('Settled');
    expect(state.attempt).toBe(1);
  });

  it('meters usage at the quoted price, capped at the deposit', () => {
    const { events } = given([
      submit(),
      quote(10n, 12_000n),
      fund(),
      match(),
      dispatch(),
      start(),
      { type: 'RecordSuccess', attempt: 1, gpuSeconds: 30n },
    ]);
    const done = events.at(-1)!;
    expect(done.type === 'JobSucceeded' && done.usage).toEqual({
      gpuSeconds: '30',
      cost: { baseUnits: '300' },
    });
    const capped = given([
      submit(),
      quote(10n, 12_000n),
      fund(),
      match(),
      dispatch(),
      start(),
      { type: 'RecordTimeout', attempt: 1, gpuSeconds: 5_000n },
    ]).events.at(-1)!;
    expect(capped.type === 'JobTimedOut' && capped.usage?.cost?.baseUnits).toBe('12000');
  });

  it("given a submitted job, when it is quoted, then JobQuoted and the state carry the quote's tier (product and region)", () => {
    const { state, events } = given([submit(), quote()]);
    const quoted = events.find((e) => e.type === 'JobQuoted');
    expect(quoted).toMatchObject({
      tier: { gpuProduct: 'NVIDIA-H100-80GB-HBM3', region: 'us-east' },
    });
    expect(state.quote).toMatchObject({ gpuProduct: 'NVIDIA-H100-80GB-HBM3', region: 'us-east' });
  });

  it("keeps the signed quote's escrow terms (tier, coverage, domain) so the client can fund with them", () => {
    const escrow = {
      tier: `0x${'ab'.repeat(32)}`,
      maxGpuSeconds: 1_200n,
      maxDuration: 600n,
      chainId: 31337n,
      escrow: '0x00000000000000000000000000000000000000e5',
    };
    const q = quote();
    const withTerms = { ...q, quote: { ...(q as { quote: object }).quote, escrow } } as typeof q;
    const { state, events } = given([submit(), withTerms]);
    expect(events.find((e) => e.type === 'JobQuoted')).toMatchObject({
      escrowTier: escrow.tier,
      maxGpuSeconds: '1200',
      maxDuration: '600',
      chainId: '31337',
      escrow: escrow.escrow,
    });
    expect(state.quote?.escrow).toEqual(escrow);
    // A quote recorded without them (older events) has none.
    expect(given([submit(), quote()]).state.quote?.escrow).toBeUndefined();
  });

  it('refuses illegal transitions with the state and where the command is allowed', () => {
    const { state } = given([submit(), quote()]);
    expect(() => decide(state, match())).toThrow(IllegalTransitionError);
    expect(() => decide(state, match())).toThrow(
      'Match is not allowed for a job in state Quoted (allowed in: Queued, Overflowed)',
    );
    const settled = given([
      submit(),
      { type: 'Cancel', by: 'client', reason: 'changed my mind', gpuSeconds: 0n },
    ]).state;
    expect(settled.status).toBe('Cancelled');
    expect(() =>
      decide(settled, { type: 'Cancel', by: 'client', reason: 'again', gpuSeconds: 0n }),
    ).toThrow(/Cancel is not allowed for a job in state Cancelled/);
    expect(() => decide(settled, submit())).toThrow(/SubmitJob is not allowed/);
  });

  it('refuses funding against another quote or below the quoted total', () => {
    const { state } = given([submit(), quote()]);
    expect(() => decide(state, fund(12_000n, 'q-other'))).toThrow(CommandRejectedError);
    expect(() => decide(state, fund(11_999n))).toThrow(/less than the quoted 12000/);
  });

  it('expires an unfunded quote only once it is past its expiry', () => {
    const { state } = given([submit(), quote()]);
    expect(() => decide(state, { type: 'ExpireQuote', now: '2030-01-01T00:09:59.000Z' })).toThrow(
      /quote expires at/,
    );
    const [expired] = decide(state, { type: 'ExpireQuote', now: '2030-01-01T00:10:00.000Z' });
    expect(expired).toMatchObject({
      type: 'JobExpired',
      reason: eventsV1.JobExpiryReason.JOB_EXPIRY_REASON_QUOTE_EXPIRED,
    });
    // A funded job is no longer expired by a late timer.
    expect(
      decide(given([submit(), quote(), fund()]).state, {
        type: 'ExpireQuote',
        now: '2031-01-01T00:00:00.000Z',
      }),
    ).toEqual([]);
  });

  it('ignores repeated and stale observations from Kubernetes', () => {
    const running = given([submit(), quote(), fund(), match(), dispatch(), start()]).state;
    expect(decide(running, start())).toEqual([]);
    expect(decide(running, { type: 'RecordSuccess', attempt: 0, gpuSeconds: 1n })).toEqual([]);
    const done = given([{ type: 'RecordSuccess', attempt: 1, gpuSeconds: 4n }], running).state;
    expect(decide(done, { type: 'RecordSuccess', attempt: 1, gpuSeconds: 4n })).toEqual([]);
    expect(
      decide(done, {
        type: 'RecordFailure',
        attempt: 1,
        blame: 'workload',
        reason: 'ExitCode',
        message: '',
        exitCode: 1,
        gpuSeconds: 4n,
      }),
    ).toEqual([]);
  });

  it('requeues once on another node when the node is lost, then fails with a node fault and no charge', () => {
    const lost = (attempt: number, node: string) => ({
      type: 'RecordNodeLost' as const,
      attempt,
      node,
      message: `node ${node} left`,
      gpuSeconds: 8n,
      placementDeadline: '2030-01-01T00:30:00.000Z',
    });
    const first = given([
      submit(),
      quote(),
      fund(),
      match('n-0'),
      dispatch(),
      start(1, 'n-0'),
      lost(1, 'n-0'),
    ]);
    expect(first.state.status).toBe('Queued');
    expect(first.state.excludedNodes).toEqual(['n-0']);
    expect(first.events.at(-1)).toMatchObject({
      type: 'JobQueued',
      reason: 'NodeLost',
      excludedNode: 'n-0',
    });
    const second = given([match('n-1'), dispatch(2), start(2, 'n-1'), lost(2, 'n-1')], first.state);
    expect(second.state.attempt).toBe(2);
    expect(second.state.status).toBe('Failed');
    expect(second.events.at(-1)).toMatchObject({
      type: 'JobFailed',
      kind: eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT,
      reason: 'NodeLost',
      usage: { gpuSeconds: '8', cost: { baseUnits: '0' } },
    });
  });

  it('charges a workload failure for its usage but not a node fault', () => {
    const running = given([submit(), quote(), fund(), match(), dispatch(), start()]).state;
    const [wl] = decide(running, {
      type: 'RecordFailure',
      attempt: 1,
      blame: 'workload',
      reason: 'ExitCode',
      message: 'Error',
      exitCode: 3,
      gpuSeconds: 10n,
    });
    expect(wl).toMatchObject({
      type: 'JobFailed',
      exitCode: 3,
      usage: { cost: { baseUnits: '100' } },
    });
    const [nf] = decide(running, {
      type: 'RecordFailure',
      attempt: 1,
      blame: 'node',
      reason: 'Evicted',
      message: '',
      exitCode: 0,
      gpuSeconds: 10n,
    });
    expect(nf).toMatchObject({
      kind: eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT,
      usage: { cost: { baseUnits: '0' } },
    });
  });

  it('cancels a running job with the usage so far and the state it was in', () => {
    const running = given([submit(), quote(), fund(), match(), dispatch(), start()]).state;
    const [c] = decide(running, {
      type: 'Cancel',
      by: 'client',
      reason: 'done early',
      gpuSeconds: 6n,
    });
    expect(c).toMatchObject({
      type: 'JobCancelled',
      previousState: 7,
      usage: { gpuSeconds: '6', cost: { baseUnits: '60' } },
    });
  });

  it('overflows a queued job after its deadline, reroutes within the latency budget, and refuses stale or too-far reroutes', () => {
    const interactive = submit(
      aSpec({
        latency: {
          mode: { $case: 'interactive', value: { clientRegion: 'us-east', maxRttMs: 100 } },
        },
      }),
    );
    const queued = given([interactive, quote(), fund()]).state;
    expect(() =>
      decide(queued, { type: 'Overflow', now: '2030-01-01T00:19:00.000Z', queuedAt: T0 }),
    ).toThrow(/placement deadline/);
    const over = given(
      [{ type: 'Overflow', now: '2030-01-01T00:20:00.000Z', queuedAt: T0 }],
      queued,
    ).state;
    expect(over.status).toBe('Overflowed');
    const reroute = (rttMs: number, expectedVersion = 5) => ({
      type: 'Reroute' as const,
      proposalId: 'p-1',
      toRegion: 'eu-west',
      expectedVersion,
      currentVersion: 5,
      rttMs,
      tierPrice: 8n,
      placementDeadline: '2030-01-01T00:40:00.000Z',
    });
    expect(() => decide(over, reroute(78, 4))).toThrow(/proposed at version 4; the job is at 5/);
    expect(() => decide(over, reroute(140))).toThrow(/140 ms from us-east; the job allows 100 ms/);
    const moved = given([reroute(78)], over);
    expect(moved.events.map((e) => e.type)).toEqual(['JobRerouted', 'JobQueued']);
    expect(moved.state).toMatchObject({ status: 'Queued', reroutedTo: 'eu-west' });
    // Rerouted is a state of its own between the two events.
    expect(given([reroute(78)], over).events[0]).toMatchObject({
      fromRegion: 'us-east',
      toRegion: 'eu-west',
    });
  });

  it('puts a matched job whose dispatch failed back in the queue', () => {
    const matched = given([submit(), quote(), fund(), match()]).state;
    const [q] = decide(matched, {
      type: 'DispatchFailed',
      reason: 'Forbidden',
      placementDeadline: '2030-01-01T00:30:00.000Z',
    });
    expect(q).toMatchObject({ type: 'JobQueued', reason: 'DispatchFailed' });
  });
});
