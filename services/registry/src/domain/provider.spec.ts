import { at } from '../../test/support/node-fixtures';
import { evolveProvider, newProvider, providerChange, type ProviderFact } from './provider';

const now = at('2026-01-01T00:00:00Z');
const MIN = 100n;
const fold = (facts: ProviderFact[]) =>
  facts.reduce((s, f) => evolveProvider(s, f, now), newProvider('0xAB', MIN, now));

describe('provider', () => {
  it('given a new provider, then it is inactive and not registered, with a lower-case address', () => {
    const p = newProvider('0xABCD', MIN, now);
    expect(p).toMatchObject({ address: '0xabcd', active: false, inactiveReason: 'NotRegistered' });
  });

  it('given registered and staked the minimum, then it is active', () => {
    const p = fold([
      { kind: 'registered', block: 1 },
      { kind: 'staked', block: 2, bonded: 100n },
    ]);
    expect(p).toMatchObject({ active: true, inactiveReason: '', bonded: 100n });
  });

  it('given staked but not registered, then it is inactive (NotRegistered)', () => {
    expect(fold([{ kind: 'staked', block: 2, bonded: 500n }]).inactiveReason).toBe('NotRegistered');
  });

  it('given unbonding below the minimum, then it is inactive (InsufficientStake)', () => {
    const p = fold([
      { kind: 'registered', block: 1 },
      { kind: 'staked', block: 2, bonded: 150n },
      { kind: 'unbonding', block: 3, bonded: 99n },
    ]);
    expect(p).toMatchObject({ active: false, inactiveReason: 'InsufficientStake' });
  });

  it('given a slash that leaves enough stake, then it stays inactive until stake is added after the slash', () => {
    const slashed = fold([
      { kind: 'registered', block: 1 },
      { kind: 'staked', block: 2, bonded: 500n },
      { kind: 'slashed', block: 3, bonded: 400n },
    ]);
    expect(slashed).toMatchObject({ active: false, inactiveReason: 'SlashPending' });
    // a stale Staked from before the slash does not clear it
    const stale = evolveProvider(slashed, { kind: 'staked', block: 2, bonded: 500n }, now);
    expect(stale).toMatchObject({ active: false, bonded: 400n });
    const toppedUp = evolveProvider(slashed, { kind: 'staked', block: 4, bonded: 450n }, now);
    expect(toppedUp).toMatchObject({ active: true, slashPending: false });
  });

  it('given a newer chain read, then an older event does not overwrite its stake', () => {
    const observed = fold([
      { kind: 'observed', block: 10, registered: true, bonded: 50n, minStake: MIN },
      { kind: 'staked', block: 5, bonded: 900n },
    ]);
    expect(observed).toMatchObject({
      bonded: 50n,
      active: false,
      inactiveReason: 'InsufficientStake',
    });
  });

  it('given a reorg below a slash, then the slash is forgotten until the chain says otherwise', () => {
    const p = fold([
      { kind: 'registered', block: 1 },
      { kind: 'staked', block: 2, bonded: 500n },
      { kind: 'slashed', block: 8, bonded: 400n },
      { kind: 'reorged', ancestorBlock: 7 },
    ]);
    expect(p).toMatchObject({ slashPending: false, active: true, stakeBlock: 7 });
  });

  it('given an activation flip, then providerChange names it; no flip, no change', () => {
    const before = fold([{ kind: 'registered', block: 1 }]);
    const after = evolveProvider(before, { kind: 'staked', block: 2, bonded: 100n }, now);
    expect(providerChange(before, after)).toEqual({
      type: 'activated',
      provider: '0xab',
      bonded: 100n,
    });
    const slashed = evolveProvider(after, { kind: 'slashed', block: 3, bonded: 10n }, now);
    expect(providerChange(after, slashed)).toEqual({
      type: 'deactivated',
      provider: '0xab',
      reason: 'InsufficientStake',
    });
    expect(providerChange(slashed, slashed)).toBeUndefined();
  });
});
