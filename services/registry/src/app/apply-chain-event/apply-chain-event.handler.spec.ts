import { type StarminerEvent } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { ManualClock } from '@starminer/service-kit';
import { ProviderStandings } from '../provider-standing/provider-standings';
import {
  FakeStakeChain,
  InMemoryRegistry,
  RecordingLog,
  chainEnvelope,
  chainEvent,
} from '../registry.fixtures';
import { ApplyChainEventHandler, providerFactOf } from './apply-chain-event.handler';

const P = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
const contracts = {
  staking: '0x5a00000000000000000000000000000000000001',
  providerRegistry: '0x5a00000000000000000000000000000000000002',
};
const PROVIDER = eventsV1.ChainRole.CHAIN_ROLE_PROVIDER;
const logAt = (contract: string, block: number) => ({ contract, blockNumber: String(block) });
const tokens = (n: bigint) => ({ baseUnits: n.toString() });

function setup() {
  const registry = new InMemoryRegistry();
  const chain = new FakeStakeChain();
  const log = new RecordingLog();
  const standings = new ProviderStandings({
    providers: registry.providerMirror,
    chain,
    transactions: registry,
    logger: log,
    clock: new ManualClock(),
    maxAgeMs: 60_000,
    onActivationChanged: () => undefined,
  });
  const handler = new ApplyChainEventHandler(standings, registry.providerMirror, contracts, log);
  // As the consumer runs it: in one transaction with the inbox row.
  const consume = (event: StarminerEvent, id?: string) =>
    registry.transact((work) => handler.handle(chainEnvelope(event, id), work));
  return { registry, chain, log, consume };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('providerFactOf', () => {
  it('reads role and stake changes of providers from this deployment’s contracts', () => {
    const registered = chainEvent('ProviderRegistered', {
      account: P.toUpperCase().replace('0X', '0x'),
      role: PROVIDER,
      log: logAt(contracts.providerRegistry, 7),
    });
    expect(providerFactOf(registered, contracts)).toEqual({
      address: P,
      fact: { kind: 'registered', block: 7 },
      log: registered.log,
    });
    const slashed = chainEvent('Slashed', {
      provider: P,
      totalStaked: tokens(40n),
      log: logAt(contracts.staking.toUpperCase().replace('0X', '0x'), 9),
    });
    expect(providerFactOf(slashed, contracts)?.fact).toEqual({
      kind: 'slashed',
      block: 9,
      bonded: 40n,
    });
    expect(
      providerFactOf(
        chainEvent('UnbondingStarted', { provider: P, log: logAt(contracts.staking, 3) }),
        contracts,
      )?.fact,
    ).toEqual({ kind: 'unbonding', block: 3, bonded: 0n });
  });

  it("ignores other roles, other deployments' contracts and other events", () => {
    const other = '0x00000000000000000000000000000000000000ff';
    expect(
      providerFactOf(
        chainEvent('ProviderRegistered', {
          account: P,
          role: eventsV1.ChainRole.CHAIN_ROLE_VALIDATOR,
          log: logAt(contracts.providerRegistry, 1),
        }),
        contracts,
      ),
    ).toBeUndefined();
    expect(
      providerFactOf(chainEvent('Staked', { provider: P, log: logAt(other, 1) }), contracts),
    ).toBeUndefined();
    expect(providerFactOf(chainEvent('EscrowFunded'), contracts)).toBeUndefined();
  });
});

describe('ApplyChainEventHandler', () => {
  it('activates a provider once it is registered and staked, caused by the chain event', async () => {
    const { registry, consume } = setup();
    await consume(
      chainEvent('ProviderRegistered', {
        account: P,
        role: PROVIDER,
        log: logAt(contracts.providerRegistry, 10),
      }),
      'reg',
    );
    expect(registry.providers.get(P)).toMatchObject({ registered: true, active: false });
    expect(registry.outbox).toEqual([]);

    const staked = chainEvent('Staked', {
      provider: P,
      totalStaked: tokens(5_000n),
      log: logAt(contracts.staking, 11),
    });
    await consume(staked, 'stake');
    expect(registry.outbox).toEqual([
      {
        aggregateId: P,
        event: {
          type: 'ProviderActivated',
          provider: P,
          staked: tokens(5_000n),
          cause: staked.log,
        },
        cause: expect.objectContaining({ eventId: 'stake', correlationId: 'corr-stake' }),
      },
    ]);
  });

  it('leaves everything as it is for an event of another contract', async () => {
    const { registry, consume } = setup();
    await consume(
      chainEvent('Staked', {
        provider: P,
        totalStaked: tokens(5_000n),
        log: logAt('0x00000000000000000000000000000000000000ff', 11),
      }),
    );
    expect(registry.providers.size).toBe(0);
  });

  it('rewinds the providers a reorg touched, then re-reads them on chain after the commit', async () => {
    const { registry, chain, log, consume } = setup();
    await consume(
      chainEvent('ProviderRegistered', {
        account: P,
        role: PROVIDER,
        log: logAt(contracts.providerRegistry, 10),
      }),
    );
    await consume(
      chainEvent('Slashed', {
        provider: P,
        totalStaked: tokens(5_000n),
        log: logAt(contracts.staking, 30),
      }),
    );
    expect(registry.providers.get(P)).toMatchObject({ slashPending: true, stakeBlock: 30 });

    chain.set(P, 7_000n);
    await consume(chainEvent('ChainReorged', { commonAncestorNumber: '20' }));
    expect(registry.providers.get(P)).toMatchObject({
      slashPending: false,
      slashBlock: 0,
      stakeBlock: 20,
    });
    expect(log.messages('info')).toContain('chain reorg applied to providers');
    expect(chain.reads).toEqual([]);

    await jest.advanceTimersByTimeAsync(250);
    expect(chain.reads).toEqual([P]);
    expect(registry.providers.get(P)).toMatchObject({ bonded: 7_000n, active: true });
  });

  it('re-reads nothing after a reorg below every provider’s blocks', async () => {
    const { chain, consume } = setup();
    await consume(
      chainEvent('Staked', {
        provider: P,
        totalStaked: tokens(1n),
        log: logAt(contracts.staking, 5),
      }),
    );
    await consume(chainEvent('ChainReorged', { commonAncestorNumber: '5' }));
    await jest.advanceTimersByTimeAsync(250);
    expect(chain.reads).toEqual([]);
  });
});
