/**
 * Decoded StarMiner contract events as plain data (no ABI, no ethers): what the projections and
 * the publisher work on. Addresses are lower case 0x hex; uint values are bigint.
 */
export type ContractName =
  'agpu' | 'providerRegistry' | 'staking' | 'rewardDistributor' | 'jobEscrow';

/** ProviderRegistry.Kind */
export type ParticipantKind = 'provider' | 'validator' | 'client';
export const PARTICIPANT_KINDS: readonly ParticipantKind[] = ['provider', 'validator', 'client'];

export type ChainEventData =
  // JobEscrow
  | {
      name: 'JobFunded';
      jobId: string;
      client: string;
      tier: string;
      amount: bigint;
      pricePerGpuSecond: bigint;
      maxGpuSeconds: bigint;
      deadline: bigint;
      nonce: bigint;
    }
  | {
      name: 'JobSettled';
      jobId: string;
      provider: string;
      client: string;
      gpuSeconds: bigint;
      providerAmount: bigint;
      fee: bigint;
      clientRefund: bigint;
    }
  | { name: 'JobRefunded'; jobId: string; client: string; amount: bigint }
  | { name: 'JobReclaimed'; jobId: string; client: string; amount: bigint }
  | { name: 'CreditWithdrawn'; account: string; to: string; amount: bigint }
  | { name: 'FeesSwept'; rewards: string; amount: bigint }
  // Staking
  | { name: 'Staked'; provider: string; amount: bigint; bonded: bigint }
  | { name: 'UnbondStarted'; provider: string; amount: bigint; unbonding: bigint; readyAt: bigint }
  | { name: 'StakeWithdrawn'; provider: string; amount: bigint }
  | {
      name: 'Slashed';
      provider: string;
      evidenceHash: string;
      amount: bigint;
      fromBonded: bigint;
      fromUnbonding: bigint;
      recipient: string;
    }
  // ProviderRegistry
  | {
      name: 'Registered';
      account: string;
      kind: ParticipantKind;
      metadataUri: string;
      regions: string[];
    }
  | { name: 'Updated'; account: string; metadataUri: string; regions: string[] }
  | { name: 'Deregistered'; account: string; kind: ParticipantKind }
  // RewardDistributor
  | { name: 'RewardsDeposited'; from: string; amount: bigint }
  | { name: 'EpochPosted'; epoch: bigint; root: string; total: bigint; validator: string }
  | { name: 'Claimed'; epoch: bigint; account: string; amount: bigint }
  | { name: 'EpochExpired'; epoch: bigint; unclaimed: bigint }
  // AGPU
  | { name: 'Transfer'; from: string; to: string; value: bigint };

export type ChainEventName = ChainEventData['name'];

/** Where a log sits on the chain. */
export interface LogMeta {
  /** Sortable checkpoint (see checkpoint.ts). */
  checkpoint: string;
  chainId: number;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
  /** Emitting contract, lower case. */
  address: string;
}

export interface DecodedLog {
  meta: LogMeta;
  event: ChainEventData;
}

/** JSON-safe form of an event (bigints as decimal strings) for storage; `reviveEvent` inverts it. */
export function serializeEvent(e: ChainEventData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) out[k] = typeof v === 'bigint' ? `${v}n` : v;
  return out;
}

export function reviveEvent(json: Record<string, unknown>): ChainEventData {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    out[k] = typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v;
  }
  return out as unknown as ChainEventData;
}
