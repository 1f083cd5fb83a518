/**
 * What the settlement signer does for a finished job: pure decisions over the terminal job event
 * and what the chain says, so the same rules hold on first delivery, redelivery and restart.
 */

export type TerminalJobType =
  'JobSucceeded' | 'JobFailed' | 'JobTimedOut' | 'JobCancelled' | 'JobExpired';
export const TERMINAL_JOB_TYPES: readonly TerminalJobType[] = [
  'JobSucceeded',
  'JobFailed',
  'JobTimedOut',
  'JobCancelled',
  'JobExpired',
];

export interface TerminalJob {
  type: TerminalJobType;
  /** 0x bytes32 on-chain job id. */
  chainJobId: string;
  /** Provider wallet of the placement, lower case; '' when the job never ran. */
  provider: string;
  gpuSeconds: bigint;
  /** For JobFailed: who is to blame. */
  failure?: 'workload' | 'node_fault' | 'unspecified';
}

export type SettlementAction =
  { kind: 'settle'; provider: string; gpuSeconds: bigint } | { kind: 'refund' };

/**
 * Settle pays the provider for metered use (rest back to the client); refund returns everything.
 * A workload's own failure, a timeout and a cancel after start are paid for; a node fault, an
 * expiry, or anything that never ran on a provider is refunded.
 */
export function decideSettlement(job: TerminalJob): SettlementAction {
  const ran = job.provider !== '' && job.gpuSeconds > 0n;
  switch (job.type) {
    case 'JobSucceeded':
    case 'JobTimedOut':
      return job.provider !== ''
        ? { kind: 'settle', provider: job.provider, gpuSeconds: job.gpuSeconds }
        : { kind: 'refund' };
    case 'JobFailed':
      return job.failure === 'workload' && job.provider !== ''
        ? { kind: 'settle', provider: job.provider, gpuSeconds: job.gpuSeconds }
        : { kind: 'refund' };
    case 'JobCancelled':
      return ran
        ? { kind: 'settle', provider: job.provider, gpuSeconds: job.gpuSeconds }
        : { kind: 'refund' };
    case 'JobExpired':
      return { kind: 'refund' };
  }
}

/** The contract refuses usage above the quote; the deposit only covers maxGpuSeconds. */
export function clampUsage(action: SettlementAction, maxGpuSeconds: bigint): SettlementAction {
  if (action.kind === 'settle' && action.gpuSeconds > maxGpuSeconds) {
    return { ...action, gpuSeconds: maxGpuSeconds };
  }
  return action;
}

/** JobEscrow.Status as read on chain. */
export type OnChainEscrowStatus = 'none' | 'funded' | 'settled' | 'refunded' | 'reclaimed';

/** State of the last transaction the signer sent for a job, as the node reports it now. */
export type SentTxState = 'none' | 'pending' | 'mined' | 'reverted' | 'unknown';

export type SignerStep =
  /** Nothing sent yet (or the last one is gone): sign and send a fresh transaction. */
  | { kind: 'send' }
  /** Our transaction is in the mempool: wait, or replace it with higher fees once it is stale. */
  | { kind: 'wait' }
  | { kind: 'bump' }
  /** The node forgot our transaction without mining it: broadcast the same signed bytes again. */
  | { kind: 'rebroadcast' }
  /** Closed on chain (by us, or by the client's reclaim): wait for the mirror to confirm. */
  | { kind: 'await-mirror' }
  /** No escrow exists for this job: nothing can be settled. */
  | { kind: 'skip'; reason: string };

/**
 * Next step for a recorded intent. The escrow's on-chain status comes first: whatever happened
 * before a crash, a closed escrow is never sent another transaction, and the contract would
 * refuse a second settlement anyway.
 */
export function nextSignerStep(opts: {
  escrow: OnChainEscrowStatus;
  sent: SentTxState;
  /** How long the current transaction has been waiting, and how long before a fee bump. */
  pendingForMs: number;
  bumpAfterMs: number;
}): SignerStep {
  if (opts.escrow === 'settled' || opts.escrow === 'refunded' || opts.escrow === 'reclaimed') {
    return { kind: 'await-mirror' };
  }
  if (opts.escrow === 'none') {
    if (opts.sent === 'pending') return { kind: 'wait' };
    return { kind: 'skip', reason: 'no escrow funded for this job' };
  }
  switch (opts.sent) {
    case 'none':
    case 'reverted':
      return { kind: 'send' };
    case 'mined':
      // Mined but the escrow still reads funded: the node answering is behind the receipt's.
      return { kind: 'wait' };
    case 'pending':
      return opts.pendingForMs >= opts.bumpAfterMs ? { kind: 'bump' } : { kind: 'wait' };
    case 'unknown':
      return { kind: 'rebroadcast' };
  }
}

/**
 * EIP-1559 fees of a replacement: nodes accept a replacement only with both fees raised by at
 * least 10%, so raise by `percent` (≥ 10) and never below what the network asks now.
 */
export function bumpedFees(
  previous: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  current: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  percent = 25,
): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } {
  const p = BigInt(Math.max(10, Math.ceil(percent)));
  const up = (x: bigint) => x + (x * p + 99n) / 100n;
  const maxPriorityFeePerGas = max(up(previous.maxPriorityFeePerGas), current.maxPriorityFeePerGas);
  const maxFeePerGas = max(up(previous.maxFeePerGas), current.maxFeePerGas, maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

function max(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (a > b ? a : b));
}
