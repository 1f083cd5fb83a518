import { type EventEnvelope } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { DEFAULT_MODEL } from '../../domain/model-config';
import { computeScore, isExcluded } from '../../domain/score';
import { envelope, inMemoryReputationStore } from '../reputation.fixtures';
import { InvalidEventError, RecordEventHandler, type ConsumedEvent } from './record-event.handler';

const P = '0x00000000000000000000000000000000000000aa';
const STAKING = { chainId: '31337', address: '0x00000000000000000000000000000000000005ac' };
const T0 = Date.UTC(2030, 0, 1);
const POOL = 'eu-west/a100';
const placement = {
  provider: P.toUpperCase().replace('0X', '0x'),
  region: 'eu-west',
  pool: 'a100',
  node: 'n1',
};
const log = (contract = STAKING.address, blockNumber = '10', logIndex = 0) => ({
  chainId: STAKING.chainId,
  blockNumber,
  logIndex,
  contract,
});

const ev = {
  submitted: (): ConsumedEvent => ({
    type: 'JobSubmitted',
    ...eventsV1.JobSubmitted.fromPartial({
      jobId: 'j1',
      clientAddress: '0x00000000000000000000000000000000000000c1',
      spec: { gpu: { count: 1 }, maxDurationSeconds: 7_200 },
      estimatedRuntimeSeconds: 3_600,
    }),
  }),
  dispatched: (): ConsumedEvent => ({
    type: 'JobDispatched',
    ...eventsV1.JobDispatched.fromPartial({ jobId: 'j1', placement }),
  }),
  started: (at: number): ConsumedEvent => ({
    type: 'JobStarted',
    ...eventsV1.JobStarted.fromPartial({
      jobId: 'j1',
      placement,
      startedAt: new Date(at).toISOString(),
    }),
  }),
  succeeded: (p: Partial<eventsV1.JobPlacement> | null = placement): ConsumedEvent => ({
    type: 'JobSucceeded',
    ...eventsV1.JobSucceeded.fromPartial({
      jobId: 'j1',
      placement: p ?? undefined,
      usage: { gpuSeconds: '3600' },
    }),
  }),
  staked: (total: string, contract?: string): ConsumedEvent => ({
    type: 'Staked',
    ...eventsV1.Staked.fromPartial({
      provider: P,
      totalStaked: { baseUnits: total },
      log: log(contract),
    }),
  }),
  slashed: (amount: string, left: string): ConsumedEvent => ({
    type: 'Slashed',
    ...eventsV1.Slashed.fromPartial({
      provider: P,
      amount: { baseUnits: amount },
      totalStaked: { baseUnits: left },
      jobId: 'j1',
      log: log(STAKING.address, '11'),
    }),
  }),
};

describe('RecordEventHandler', () => {
  const handler = new RecordEventHandler(DEFAULT_MODEL, STAKING);
  let store: ReturnType<typeof inMemoryReputationStore>;
  let seq = 0;
  const deliver = async (event: ConsumedEvent, at: number, eventId = `e${++seq}`) => {
    const env = envelope(event, { eventId, at });
    await handler.handle(env, store);
    return env as EventEnvelope;
  };
  const scoreOf = (pool = '') => store.scores.rows.get(`${P}|${pool}`)?.scoreBps;

  beforeEach(() => {
    store = inMemoryReputationStore();
  });

  it('scores a job that ran on a provider pool and announces the provider and pool scores it moved', async () => {
    await deliver(ev.submitted(), T0);
    await deliver(ev.dispatched(), T0 + 1_000);
    expect(store.events.published).toEqual([]);
    await deliver(ev.started(T0 + 11_000), T0 + 11_000);
    const afterStart = scoreOf();

    const cause = await deliver(ev.succeeded(), T0 + 3_700_000);

    expect(store.evidence.rows.map((e) => [e.kind, e.provider, e.pool])).toEqual([
      ['startup', P, POOL],
      ['success', P, POOL],
      ['runtime', P, POOL],
    ]);
    const expected = computeScore(store.evidence.rows, T0 + 3_700_000, DEFAULT_MODEL).scoreBps;
    expect(scoreOf()).toBe(expected);
    expect(scoreOf(POOL)).toBe(expected);
    const announced = store.events.published.slice(2);
    expect(announced.map((u) => [u.aggregateId, u.event.pool, u.event.scoreBps])).toEqual([
      [P, '', expected],
      [P, POOL, expected],
    ]);
    expect(announced[0]!.event).toMatchObject({
      type: 'ReputationUpdated',
      provider: P,
      previousScoreBps: afterStart,
      jobsSucceeded: '1',
      causeEventId: cause.eventId,
      causeType: 'JobSucceeded',
      excluded: isExcluded(expected, DEFAULT_MODEL),
      model: DEFAULT_MODEL.name,
      asOf: new Date(T0 + 3_700_000).toISOString(),
    });
    expect(announced.every((u) => u.cause === cause)).toBe(true);
  });

  it('announces nothing when an event delivered again moves no score', async () => {
    await deliver(ev.succeeded(), T0, 'same');
    const before = store.events.published.length;

    await deliver(ev.succeeded(), T0, 'same');

    expect(store.evidence.rows).toHaveLength(1);
    expect(store.events.published).toHaveLength(before);
  });

  it('says nothing about a provider for a job that was never placed', async () => {
    await deliver(ev.succeeded(null), T0);

    expect(store.evidence.rows).toEqual([]);
    expect(store.scores.rows.size).toBe(0);
    expect(store.events.published).toEqual([]);
  });

  it('records stake from the deployment Staking contract only', async () => {
    await deliver(ev.staked('500', '0x00000000000000000000000000000000000000ff'), T0);
    expect(await store.evidence.stakes()).toEqual(new Map());

    await deliver(ev.staked('1000', STAKING.address.toUpperCase().replace('0X', '0x')), T0);

    expect(await store.evidence.stakes()).toEqual(new Map([[P, 1000n]]));
    expect(store.events.published).toEqual([]);
  });

  it('lowers every pool of a slashed provider and keeps the stake left', async () => {
    await deliver(ev.succeeded(), T0);
    const healthy = scoreOf(POOL)!;

    await deliver(ev.slashed('250', '750'), T0 + 60_000);

    expect(await store.evidence.stakes()).toEqual(new Map([[P, 750n]]));
    expect(store.evidence.rows.at(-1)).toMatchObject({
      kind: 'slash',
      provider: P,
      jobId: 'j1',
      amount: 250n,
      stakeShare: 0.25,
    });
    expect(scoreOf(POOL)).toBeLessThan(healthy);
    expect(store.events.published.slice(-2).map((u) => [u.event.pool, u.event.causeType])).toEqual([
      ['', 'Slashed'],
      [POOL, 'Slashed'],
    ]);
  });

  it('forgets the evidence of events a chain reorg voided', async () => {
    await deliver(ev.succeeded(), T0);
    await deliver(ev.slashed('250', '750'), T0 + 60_000, 'slash-1');
    const slashed = scoreOf()!;
    const reorged: ConsumedEvent = {
      type: 'ChainReorged',
      ...eventsV1.ChainReorged.fromPartial({ voidedEventIds: ['slash-1'] }),
    };

    await deliver(reorged, T0 + 120_000);

    expect(store.evidence.rows.map((e) => e.kind)).toEqual(['success']);
    expect(scoreOf()).toBe(computeScore(store.evidence.rows, T0 + 120_000, DEFAULT_MODEL).scoreBps);
    expect(scoreOf()).toBeGreaterThan(slashed);
    expect(store.events.published.at(-1)!.event.causeType).toBe('ChainReorged');
  });

  it('closes a quarantine when the node recovers and rescores its pool', async () => {
    const node = { region: 'eu-west', node: 'n1', provider: P, pool: 'a100' };
    await deliver(
      {
        type: 'NodeQuarantined',
        ...eventsV1.NodeQuarantined.fromPartial({ ...node, reason: 'NotReady' }),
      },
      T0,
    );
    const published = store.events.published.length;

    await deliver(
      { type: 'NodeRecovered', ...eventsV1.NodeRecovered.fromPartial(node) },
      T0 + 3_600_000,
    );

    expect(store.evidence.rows).toEqual([
      expect.objectContaining({ kind: 'quarantine', node: 'eu-west/n1', endMs: T0 + 3_600_000 }),
    ]);
    expect(store.events.published.slice(published).map((u) => u.event.pool)).toEqual(['', POOL]);
  });

  it('scores an event delivered late as of the time the score already reached', async () => {
    await deliver(ev.succeeded(), T0 + 10 * 3_600_000);
    const late = { region: 'eu-west', node: 'n2', provider: P, pool: 'a100' };

    await deliver(
      {
        type: 'NodeQuarantined',
        ...eventsV1.NodeQuarantined.fromPartial({ ...late, reason: 'NotReady' }),
      },
      T0,
    );

    expect(store.scores.rows.get(`${P}|`)?.asOfMs).toBe(T0 + 10 * 3_600_000);
    expect(store.events.published.at(-1)?.event.asOf).toBe(
      new Date(T0 + 10 * 3_600_000).toISOString(),
    );
  });

  it('refuses a malformed event before recording anything', async () => {
    await expect(
      deliver(ev.succeeded({ provider: P, region: 'eu-west', pool: '' }), T0),
    ).rejects.toThrow(new InvalidEventError('JobSucceeded: placement without region or pool'));
    await expect(deliver(ev.slashed('1e3', '0'), T0)).rejects.toBeInstanceOf(InvalidEventError);

    expect(store.evidence.rows).toEqual([]);
    expect(store.events.published).toEqual([]);
  });
});
