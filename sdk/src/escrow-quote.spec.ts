import { Wallet } from 'ethers';
import { jobIdFromUuid, quoteDomain, signQuote, toBytes32, type Quote } from '@starminer/chain';
import { escrowQuoteOf } from './escrow-quote';
import { type SdkError } from './errors';
import { type Job } from './types';
import { toJob } from './wire';

const escrow = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const pricing = Wallet.createRandom();
const client = Wallet.createRandom();
const jobId = '0190a0a0-0000-7000-8000-0000000000aa';

/** What pricing signs for 2 GPUs x 600 s of an L40S in eu-west at high urgency. */
async function quotedJob(): Promise<Job> {
  const quote: Quote = {
    jobId: jobIdFromUuid(jobId),
    client: client.address,
    pricePerGpuSecond: 1_000n,
    maxGpuSeconds: 1_200n,
    tier: toBytes32('L40S/eu-west/high'),
    maxDuration: 600n,
    expiry: 1_900_000_000n,
    nonce: 987654321n,
  };
  const signature = await signQuote(pricing, quoteDomain(31337, escrow), quote);
  return toJob({
    jobId,
    client: client.address,
    state: 2,
    spec: {
      gpu: { product: '', count: 2, minVramMib: 16384 },
      urgency: 3,
      maxDurationSeconds: 600,
    },
    quote: {
      quoteId: '987654321',
      gpuProduct: 'NVIDIA-L40S',
      region: 'eu-west',
      pricePerGpuSecond: { baseUnits: '1000' },
      total: { baseUnits: '1200000' },
      expiresAt: new Date(1_900_000_000_000).toISOString(),
      signer: pricing.address,
      signature,
    },
  });
}

describe('escrowQuoteOf', () => {
  it('rebuilds the quote pricing signed, field for field', async () => {
    const r = escrowQuoteOf(await quotedJob(), { chainId: 31337, escrow });
    expect(r.amount).toBe(1_200_000n);
    expect(r.quote.tier).toBe(toBytes32('L40S/eu-west/high'));
    expect(r.quote.nonce).toBe(987654321n);
  });

  it('refuses a quote that does not verify against its signer', async () => {
    const job = await quotedJob();
    const wrongChain = () => escrowQuoteOf(job, { chainId: 1, escrow });
    expect(wrongChain).toThrow(/does not verify/);
    const tampered = { ...job, urgency: 'low' as const };
    try {
      escrowQuoteOf(tampered, { chainId: 31337, escrow });
      throw new Error('accepted a tampered quote');
    } catch (err) {
      expect((err as SdkError).code).toBe('QUOTE_UNVERIFIABLE');
    }
  });

  it('says when the job has no quote yet', () => {
    const job = toJob({ jobId, client: client.address, state: 1 });
    expect(() => escrowQuoteOf(job, { chainId: 31337, escrow })).toThrow(/has no quote yet/);
  });
});
