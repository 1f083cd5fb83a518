import { randomBytes } from 'node:crypto';
import { TypedDataEncoder, type Signer, type TypedDataDomain, type TypedDataField } from 'ethers';

/**
 * A price quote as JobEscrow verifies it (EIP-712 type `Quote`). The pricing service signs it; the
 * client passes it to JobEscrow.fund. Deposit = pricePerGpuSecond x maxGpuSeconds.
 */
export interface Quote {
  /** bytes32 job id (see jobIdFromUuid) */
  jobId: string;
  /** the wallet that will fund the job */
  client: string;
  /** token base units (18 decimals) per GPU-second */
  pricePerGpuSecond: bigint;
  maxGpuSeconds: bigint;
  /** bytes32 pricing tier (see toBytes32) */
  tier: string;
  /** wall-clock seconds the job may run; the client's reclaim deadline counts from it */
  maxDuration: bigint;
  /** unix seconds after which the quote can no longer fund a job */
  expiry: bigint;
  /** spent on use; random 256-bit values need no coordination between pricing replicas */
  nonce: bigint;
}

export const QUOTE_DOMAIN_NAME = 'StarMiner JobEscrow';
export const QUOTE_DOMAIN_VERSION = '1';

/** Field order and types must match JobEscrow.QUOTE_TYPEHASH exactly. */
export const QUOTE_TYPES: Record<string, TypedDataField[]> = {
  Quote: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'client', type: 'address' },
    { name: 'pricePerGpuSecond', type: 'uint256' },
    { name: 'maxGpuSeconds', type: 'uint64' },
    { name: 'tier', type: 'bytes32' },
    { name: 'maxDuration', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
    { name: 'nonce', type: 'uint256' },
  ],
};

/** The EIP-712 domain of one JobEscrow deployment: a quote binds to this chain and this contract. */
export function quoteDomain(chainId: bigint | number, escrowAddress: string): TypedDataDomain {
  return {
    name: QUOTE_DOMAIN_NAME,
    version: QUOTE_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: escrowAddress,
  };
}

export function quoteDigest(domain: TypedDataDomain, quote: Quote): string {
  return TypedDataEncoder.hash(domain, QUOTE_TYPES, quote);
}

/** Signs a quote with the pricing key (any ethers Signer: a Wallet, a KMS-backed signer). */
export function signQuote(signer: Signer, domain: TypedDataDomain, quote: Quote): Promise<string> {
  return signer.signTypedData(domain, QUOTE_TYPES, quote);
}

export function randomQuoteNonce(): bigint {
  return BigInt(`0x${randomBytes(32).toString('hex')}`);
}

/** Deposit a quote asks for. */
export function quoteDeposit(quote: Pick<Quote, 'pricePerGpuSecond' | 'maxGpuSeconds'>): bigint {
  return quote.pricePerGpuSecond * quote.maxGpuSeconds;
}
