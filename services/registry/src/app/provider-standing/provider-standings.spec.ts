import { ManualClock } from '@starminer/service-kit';
import {
  FakeStakeChain,
  InMemoryRegistry,
  RecordingLog,
  chainEnvelope,
  chainEvent,
} from '../registry.fixtures';
import { ProviderStandings } from './provider-standings';

const P = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
const Q = '0x00000000000000000000000000000000000000aa';
const MAX_AGE_MS = 60_000;

function setup() {
  const clock = new ManualClock();
  const registry = new InMemoryRegistry();
  const chain = new FakeStakeChain();
  const log = new RecordingLog();
  const changed: string[] = [];
  const standings = new ProviderStandings({
    providers: registry.providerMirror,
    chain,
    transactions: registry,
    logger: log,
    clock,
    maxAgeMs: MAX_AGE_MS,
    onActivationChanged: (address) => changed.push(address),
  });
  return { clock, registry, chain, log, changed, standings };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ProviderStandings', () => {
  it('reads a provider it does not know on chain, records it and announces its activation after the commit', async () => {
    const { clock, registry, chain, log, changed, standings } = setup();
    chain.set(P, 5_000n);

    expect(await standings.standing(P)).toEqual({ active: true });
    expect(registry.providers.get(P)).toMatchObject({
      registered: true,
      bonded: 5_000n,
      minStake: 1_000n,
      stakeBlock: 100,
      active: true,
      checkedAt: clock.now(),
    });
    expect(registry.outbox).toEqual([
      {
        aggregateId: P,
        event: {
          type: 'ProviderActivated',
          provider: P,
          staked: { baseUnits: '5000' },
          cause: undefined,
        },
      },
    ]);
    expect(log.messages('info')).toEqual(['provider activated']);
    expect(changed).toEqual([]);
    await jest.advanceTimersByTimeAsync(250);
    expect(changed).toEqual([P]);
  });

  it('answers from a mirror younger than maxAgeMs, and re-reads an older one on chain', async () => {
    const { clock, registry, chain, standings } = setup();
    chain.set(P, 5_000n);
    await standings.standing(P);
    clock.advance(MAX_AGE_MS);
    await standings.standing(P);
    expect(chain.reads).toEqual([P]);

    chain.set(P, 10n);
    clock.advance(1);
    expect(await standings.standing(P)).toEqual({
      active: false,
      reason: 'InsufficientStake',
      message: `provider ${P} has 10 base units bonded, below the minimum stake of 1000`,
    });
    expect(chain.reads).toEqual([P, P]);
    expect(registry.outbox.map((e) => e.event)).toEqual([
      expect.objectContaining({ type: 'ProviderActivated' }),
      { type: 'ProviderDeactivated', provider: P, reason: 'InsufficientStake', cause: undefined },
    ]);
  });

  it('falls back on the mirror while the chain cannot be read, and calls an unknown provider unverifiable', async () => {
    const { clock, registry, chain, log, standings } = setup();
    chain.set(P, 5_000n);
    await standings.standing(P);
    clock.advance(MAX_AGE_MS + 1);
    chain.down = true;

    expect(await standings.standing(P)).toEqual({ active: true });
    expect(await standings.standing(Q)).toEqual({
      active: false,
      reason: 'Unverifiable',
      message: `the chain could not be read for provider ${Q}: connect ECONNREFUSED 127.0.0.1:8545`,
    });
    expect(log.messages('warn')).toEqual([
      'provider chain read failed',
      'provider chain read failed',
    ]);
    expect(registry.outbox).toHaveLength(1);
    expect(registry.providers.has(Q)).toBe(false);
  });

  it('keeps one chain read in flight per provider', async () => {
    const { chain, standings } = setup();
    chain.set(P, 5_000n);
    const [a, b] = await Promise.all([standings.refresh(P), standings.refresh(P.toUpperCase())]);
    expect(a).toEqual(b);
    expect(chain.reads).toEqual([P]);
    await standings.refresh(P);
    expect(chain.reads).toEqual([P, P]);
  });

  it('records nothing of a read whose transaction fails', async () => {
    const { registry, chain, standings } = setup();
    chain.set(P, 5_000n);
    registry.failCommits = 1;
    await expect(standings.refresh(P)).rejects.toThrow('connection terminated');
    expect(registry.providers.size).toBe(0);
    expect(registry.outbox).toEqual([]);
  });

  it("applies a fact in the caller's transaction, naming the consumed event as the cause of what it announces", async () => {
    const { registry, chain, standings } = setup();
    chain.set(P, 5_000n);
    await standings.refresh(P);
    const slash = chainEvent('Slashed', { provider: P, log: { blockNumber: '200' } });
    const env = chainEnvelope(slash, 'slash-1');
    const after = await registry.transact((work) =>
      standings.apply(
        work,
        P,
        { kind: 'slashed', block: 200, bonded: 5_000n },
        { log: slash.log, envelope: env },
      ),
    );
    expect(after).toMatchObject({ active: false, inactiveReason: 'SlashPending', slashBlock: 200 });
    expect(registry.outbox[1]).toEqual({
      aggregateId: P,
      event: { type: 'ProviderDeactivated', provider: P, reason: 'SlashPending', cause: slash.log },
      cause: env,
    });

    // Stake seen from before the slash answers nothing: still inactive, nothing announced.
    await registry.transact((work) =>
      standings.apply(work, P, { kind: 'staked', block: 150, bonded: 6_000n }),
    );
    expect(registry.outbox).toHaveLength(2);
    expect(await standings.standing(P)).toEqual({
      active: false,
      reason: 'SlashPending',
      message: `provider ${P} was slashed at block 200 and has added no stake since`,
    });
  });

  it('calls a provider without the provider role not registered', async () => {
    const { chain, standings } = setup();
    chain.set(Q, 5_000n, false);
    expect(await standings.standing(Q)).toEqual({
      active: false,
      reason: 'NotRegistered',
      message: `provider ${Q} does not hold the provider role in ProviderRegistry`,
    });
  });
});
