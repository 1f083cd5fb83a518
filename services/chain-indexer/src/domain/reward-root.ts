import { nextSignerStep, type SentTxState, type SignerStep } from './settlement';

/**
 * Reward-root posting by the signer: pure rules over a recorded request and what the
 * RewardDistributor says, like settlements, so a retry, a redelivered request or a restart never
 * posts an epoch twice (the contract would refuse it anyway: epochs are posted once, in order).
 */

export type RewardRootStatus = 'pending' | 'submitted' | 'posted' | 'failed';

export interface RewardRootRequest {
  epoch: bigint;
  /** 0x-prefixed 32-byte Merkle root, lower case. */
  root: string;
  total: bigint;
}

const ROOT = /^0x[0-9a-f]{64}$/;
const ZERO_ROOT = `0x${'0'.repeat(64)}`;
const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_UINT256 = 2n ** 256n - 1n;

/** Checks a request; returns the problems (field: what was wrong, what is accepted). */
export function rewardRootProblems(r: { epoch: string; root: string; total: string }): {
  request?: RewardRootRequest;
  problems: string[];
} {
  const problems: string[] = [];
  let epoch = 0n;
  let total = 0n;
  if (!/^[0-9]+$/.test(r.epoch) || (epoch = BigInt(r.epoch)) < 1n || epoch > MAX_UINT64)
    problems.push(`epoch '${r.epoch}': accepted is an integer from 1 to 2^64-1`);
  const root = r.root.toLowerCase();
  if (!ROOT.test(root) || root === ZERO_ROOT)
    problems.push(`root '${r.root}': accepted is a non-zero 0x-prefixed 32-byte hex hash`);
  if (!/^[0-9]+$/.test(r.total) || (total = BigInt(r.total)) < 1n || total > MAX_UINT256)
    problems.push(`total '${r.total}': accepted is a positive integer amount in base units`);
  return problems.length ? { problems } : { request: { epoch, root, total }, problems };
}

/** The RewardDistributor as read on chain for the requested epoch. */
export interface OnChainEpoch {
  /** Root posted for the epoch, or the zero hash. */
  root: string;
  /** The epoch the distributor accepts next. */
  nextEpoch: bigint;
}

export type RewardRootStep =
  | SignerStep
  /** The requested root is on chain: record the request as posted. */
  | { kind: 'posted' }
  /** The chain can no longer take this request (another root, or the epoch is past or ahead). */
  | { kind: 'fail'; reason: string };

/**
 * Next step for an open request. The chain comes first: once the epoch holds our root the
 * request is done, whatever happened before a crash; once it holds another root nothing is sent.
 * An epoch that is not the distributor's next one is sent only while our own transaction is
 * pending (it may be what moved `nextEpoch`).
 */
export function nextRewardRootStep(opts: {
  request: RewardRootRequest;
  chain: OnChainEpoch;
  sent: SentTxState;
  pendingForMs: number;
  bumpAfterMs: number;
}): RewardRootStep {
  const { request, chain } = opts;
  const onChain = chain.root.toLowerCase();
  if (onChain === request.root) return { kind: 'posted' };
  if (onChain !== ZERO_ROOT)
    return { kind: 'fail', reason: `epoch ${request.epoch} already holds root ${onChain}` };
  if (chain.nextEpoch !== request.epoch) {
    if (opts.sent === 'pending' || opts.sent === 'mined') return { kind: 'wait' };
    return {
      kind: 'fail',
      reason: `the RewardDistributor expects epoch ${chain.nextEpoch}, not ${request.epoch}`,
    };
  }
  // Open on chain: the same send / wait / bump / rebroadcast rules as a funded escrow.
  return nextSignerStep({
    escrow: 'funded',
    sent: opts.sent,
    pendingForMs: opts.pendingForMs,
    bumpAfterMs: opts.bumpAfterMs,
  });
}

/** What a second request for an epoch already requested gets: the same one is answered, another is refused. */
export function sameRewardRoot(a: RewardRootRequest, b: RewardRootRequest): boolean {
  return a.epoch === b.epoch && a.root === b.root && a.total === b.total;
}
