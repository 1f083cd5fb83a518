import { jobIdFromUuid, uuidFromJobId } from '@starminer/chain';
import { type ChainJobIds } from '../app/ports';

/** Service job id (UUID) of an on-chain job id, when it encodes one; else the bytes32 hex. */
export function serviceJobId(chainJobId: string): string {
  try {
    return uuidFromJobId(chainJobId);
  } catch {
    return chainJobId.toLowerCase();
  }
}

/** On-chain bytes32 job id of what a caller passes: a UUID or 0x-prefixed 32-byte hex. */
export function chainJobId(jobId: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(jobId)) return jobId.toLowerCase();
  return jobIdFromUuid(jobId);
}

export const chainJobIds: ChainJobIds = { chainJobId };
