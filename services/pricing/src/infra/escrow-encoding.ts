import { getAddress, isAddress } from 'ethers';
import { jobIdFromUuid, randomQuoteNonce, toBytes32 } from '@starminer/chain';
import { type EscrowEncoding } from '../app/ports';

/** The JobEscrow's spelling of quote fields, by ethers and @starminer/chain. */
export const escrowEncoding: EscrowEncoding = {
  address: (input) => (isAddress(input) ? getAddress(input) : undefined),
  jobId: jobIdFromUuid,
  tier: toBytes32,
  nonce: randomQuoteNonce,
};
