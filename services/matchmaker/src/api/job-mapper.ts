import { type matchmakerV1 } from '@starminer/proto';
import { jobStateEnum } from '../domain/job-decide';
import { type JobView } from '../app/queries/job-queries';

/** Read model -> API message. */
export function toApiJob(v: JobView): matchmakerV1.Job {
  const s = v.state;
  return {
    jobId: s.jobId,
    client: s.clientAddress,
    clientId: s.clientId,
    spec: s.spec,
    state: jobStateEnum(s.status),
    version: String(v.version),
    placement: s.placement
      ? { region: s.placement.region, provider: s.placement.provider, pool: s.placement.pool }
      : undefined,
    submittedAt: v.submittedAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    quote: s.quote && {
      quoteId: s.quote.quoteId,
      gpuProduct: s.quote.gpuProduct,
      region: s.quote.region,
      pricePerGpuSecond: { baseUnits: s.quote.pricePerGpuSecond.toString() },
      total: { baseUnits: s.quote.total.toString() },
      expiresAt: s.quote.expiresAt,
      signer: s.quote.signer,
      signature: Buffer.from(s.quote.signature),
      escrowTier: s.quote.escrow?.tier ?? '',
      maxGpuSeconds: (s.quote.escrow?.maxGpuSeconds ?? 0n).toString(),
      maxDuration: (s.quote.escrow?.maxDuration ?? 0n).toString(),
      chainId: (s.quote.escrow?.chainId ?? 0n).toString(),
      escrow: s.quote.escrow?.escrow ?? '',
    },
    gpuSeconds: s.gpuSeconds.toString(),
    cost: { baseUnits: s.cost.toString() },
    endReason: s.endReason ?? '',
    kubernetesNamespace: s.kubernetesNamespace ?? '',
    kubernetesJobName: s.kubernetesJobName ?? '',
    attempt: s.attempt,
    routingNote: s.routingNote ?? '',
  };
}
