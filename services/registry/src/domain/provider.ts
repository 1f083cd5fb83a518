/**
 * The registry's mirror of one provider's on-chain identity and stake. A provider is active
 * only while it holds the provider role, has at least the minimum stake bonded and has no
 * pending slash (a slash seen with no stake added after it).
 */
export interface ProviderState {
  address: string;
  registered: boolean;
  bonded: bigint;
  minStake: bigint;
  slashPending: boolean;
  /** Block of the slash that made slashPending true; 0 when none. */
  slashBlock: number;
  /** Highest block whose stake figure was applied: older figures never overwrite newer ones. */
  stakeBlock: number;
  active: boolean;
  /** '' when active; otherwise NotRegistered | InsufficientStake | SlashPending. */
  inactiveReason: ProviderInactiveReason | '';
  checkedAt: Date;
}

export type ProviderInactiveReason = 'NotRegistered' | 'InsufficientStake' | 'SlashPending';

/** Something learnt about a provider, from a chain event or a direct read of the contracts. */
export type ProviderFact =
  | { kind: 'registered'; block: number }
  | { kind: 'deregistered'; block: number }
  | { kind: 'staked'; block: number; bonded: bigint }
  | { kind: 'unbonding'; block: number; bonded: bigint }
  | { kind: 'slashed'; block: number; bonded: bigint }
  /** Read from the contracts at `block`: authoritative for role, stake and minimum. */
  | { kind: 'observed'; block: number; registered: boolean; bonded: bigint; minStake: bigint }
  /** A reorg voided everything above `ancestorBlock`; a fresh read follows. */
  | { kind: 'reorged'; ancestorBlock: number };

export function newProvider(address: string, minStake: bigint, now: Date): ProviderState {
  return withActivity({
    address: address.toLowerCase(),
    registered: false,
    bonded: 0n,
    minStake,
    slashPending: false,
    slashBlock: 0,
    stakeBlock: 0,
    active: false,
    inactiveReason: 'NotRegistered',
    checkedAt: now,
  });
}

function inactiveReasonOf(s: ProviderState): ProviderInactiveReason | '' {
  if (!s.registered) return 'NotRegistered';
  if (s.bonded === 0n || s.bonded < s.minStake) return 'InsufficientStake';
  if (s.slashPending) return 'SlashPending';
  return '';
}

function withActivity(s: ProviderState): ProviderState {
  const inactiveReason = inactiveReasonOf(s);
  return { ...s, inactiveReason, active: inactiveReason === '' };
}

function withStake(s: ProviderState, block: number, bonded: bigint): ProviderState {
  return block >= s.stakeBlock ? { ...s, bonded, stakeBlock: block } : s;
}

/** Applies one fact; `now` is when the registry learnt it. */
export function evolveProvider(s: ProviderState, fact: ProviderFact, now: Date): ProviderState {
  let next: ProviderState;
  switch (fact.kind) {
    case 'registered':
      next = { ...s, registered: true };
      break;
    case 'deregistered':
      next = { ...s, registered: false };
      break;
    case 'staked':
      next = withStake(s, fact.block, fact.bonded);
      // Stake added after the slash: the provider has answered it.
      if (next.slashPending && fact.block > next.slashBlock)
        next = { ...next, slashPending: false, slashBlock: 0 };
      break;
    case 'unbonding':
      next = withStake(s, fact.block, fact.bonded);
      break;
    case 'slashed':
      next = {
        ...withStake(s, fact.block, fact.bonded),
        slashPending: true,
        slashBlock: fact.block,
      };
      break;
    case 'observed':
      next = {
        ...s,
        registered: fact.registered,
        minStake: fact.minStake,
        ...(fact.block >= s.stakeBlock ? { bonded: fact.bonded, stakeBlock: fact.block } : {}),
      };
      break;
    case 'reorged':
      next = {
        ...s,
        stakeBlock: Math.min(s.stakeBlock, fact.ancestorBlock),
        ...(s.slashBlock > fact.ancestorBlock ? { slashPending: false, slashBlock: 0 } : {}),
      };
      break;
  }
  return withActivity({ ...next, checkedAt: now });
}

export type ProviderChange =
  | { type: 'activated'; provider: string; bonded: bigint }
  | { type: 'deactivated'; provider: string; reason: ProviderInactiveReason };

/** The activation change between two states, if any: what ProviderActivated/Deactivated announce. */
export function providerChange(
  before: ProviderState | undefined,
  after: ProviderState,
): ProviderChange | undefined {
  const wasActive = before?.active ?? false;
  if (after.active && !wasActive)
    return { type: 'activated', provider: after.address, bonded: after.bonded };
  if (!after.active && wasActive && after.inactiveReason !== '')
    return { type: 'deactivated', provider: after.address, reason: after.inactiveReason };
  return undefined;
}
