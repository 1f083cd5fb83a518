import { verifyTypedData } from 'ethers';
import { jobIdFromUuid, quoteDomain, QUOTE_TYPES, toBytes32, type Quote } from '@starminer/chain';
import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { SdkError } from './errors';
import { type Job } from './types';

/**
 * The EIP-712 quote JobEscrow.fund verifies, rebuilt from a job and its quote: the job id as
 * bytes32, the tier "<gpu class>/<region>/<urgency>", GPUs x max duration as the GPU-second cap,
 * the expiry and the nonce (the quote id). The signature is then checked against the quote's
 * signer, so a rebuild that differs from what pricing signed is refused here, before any
 * transaction, rather than reverted on chain.
 */
export function escrowQuoteOf(
  job: Job,
  chain: { chainId: number | bigint; escrow: string },
): { quote: Quote; signature: string; amount: bigint } {
  const q = job.quote;
  if (!q) throw new SdkError('CONFLICT', `job ${job.jobId} has no quote yet (state ${job.state})`);
  if (job.urgency === 'unspecified')
    throw new SdkError('QUOTE_UNVERIFIABLE', `job ${job.jobId} carries no urgency`);
  const gpuClass = resolveGpuClass(q.gpuProduct);
  if (gpuClass === 'unknown')
    throw new SdkError(
      'QUOTE_UNVERIFIABLE',
      `quote of job ${job.jobId} names an unknown GPU product ${q.gpuProduct}`,
    );
  const quote: Quote = {
    jobId: jobIdFromUuid(job.jobId),
    client: job.client,
    pricePerGpuSecond: BigInt(q.pricePerGpuSecond),
    maxGpuSeconds: BigInt(job.gpu.count) * BigInt(job.maxDurationSeconds),
    tier: toBytes32(`${gpuClass}/${q.region}/${job.urgency}`),
    maxDuration: BigInt(job.maxDurationSeconds),
    expiry: BigInt(Math.floor(Date.parse(q.expiresAt) / 1000)),
    nonce: BigInt(q.quoteId),
  };
  let recovered = '';
  try {
    recovered = verifyTypedData(
      quoteDomain(chain.chainId, chain.escrow),
      QUOTE_TYPES,
      quote,
      q.signature,
    );
  } catch (err) {
    throw new SdkError(
      'QUOTE_UNVERIFIABLE',
      `quote signature of job ${job.jobId} is malformed: ${(err as Error).message}`,
    );
  }
  if (recovered.toLowerCase() !== q.signer.toLowerCase())
    throw new SdkError(
      'QUOTE_UNVERIFIABLE',
      `quote of job ${job.jobId} does not verify: signed by ${recovered}, expected ${q.signer} ` +
        `(is the deployments file the gateway's chain ${String(chain.chainId)} / escrow ${chain.escrow}?)`,
    );
  return { quote, signature: q.signature, amount: quote.pricePerGpuSecond * quote.maxGpuSeconds };
}
