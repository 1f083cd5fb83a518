import { Interface, isError, type ErrorDescription } from 'ethers';
import {
  AGPU__factory,
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  Staking__factory,
} from './gen';

const interfaces = [
  AGPU__factory,
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  Staking__factory,
].map((f) => new Interface(f.abi));

/** Finds revert data in what ethers throws (CALL_EXCEPTION and the RPC error shapes around it). */
export function revertData(err: unknown): string | undefined {
  if (isError(err, 'CALL_EXCEPTION') && typeof err.data === 'string') return err.data;
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const o = e as { data?: unknown; error?: unknown; info?: { error?: unknown } };
    if (typeof o.data === 'string' && o.data.startsWith('0x')) return o.data;
    e = o.error ?? o.info?.error;
  }
  return undefined;
}

/**
 * Decodes a StarMiner custom error (or an OpenZeppelin one the contracts raise) from revert data or
 * from an ethers error. Undefined when the data matches none of them.
 */
export function decodeContractError(errOrData: unknown): ErrorDescription | undefined {
  const data = typeof errOrData === 'string' ? errOrData : revertData(errOrData);
  if (!data || data.length < 10) return undefined;
  for (const iface of interfaces) {
    const parsed = iface.parseError(data);
    if (parsed) return parsed;
  }
  return undefined;
}
