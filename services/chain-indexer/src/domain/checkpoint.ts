/**
 * A sortable position of a log on a chain: (chain id, block number, transaction index, log index),
 * ponder's checkpoint. Encoded as fixed-width decimal so that string order is chain order: the
 * database sorts and pages by it, and "everything above block N" is one range condition.
 */
export interface Checkpoint {
  chainId: number;
  blockNumber: number;
  transactionIndex: number;
  logIndex: number;
}

const WIDTH = { chainId: 10, blockNumber: 16, transactionIndex: 8, logIndex: 8 } as const;
export const CHECKPOINT_LENGTH =
  WIDTH.chainId + WIDTH.blockNumber + WIDTH.transactionIndex + WIDTH.logIndex;

function pad(n: number, width: number, what: string): string {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a whole number ≥ 0, got ${n}`);
  const s = String(n);
  if (s.length > width) throw new RangeError(`${what} ${n} does not fit ${width} digits`);
  return s.padStart(width, '0');
}

export function encodeCheckpoint(c: Checkpoint): string {
  return (
    pad(c.chainId, WIDTH.chainId, 'chainId') +
    pad(c.blockNumber, WIDTH.blockNumber, 'blockNumber') +
    pad(c.transactionIndex, WIDTH.transactionIndex, 'transactionIndex') +
    pad(c.logIndex, WIDTH.logIndex, 'logIndex')
  );
}

export function decodeCheckpoint(s: string): Checkpoint {
  if (s.length !== CHECKPOINT_LENGTH || !/^\d+$/.test(s)) {
    throw new RangeError(`not a checkpoint: ${JSON.stringify(s)}`);
  }
  let at = 0;
  const take = (w: number) => Number(s.slice(at, (at += w)));
  return {
    chainId: take(WIDTH.chainId),
    blockNumber: take(WIDTH.blockNumber),
    transactionIndex: take(WIDTH.transactionIndex),
    logIndex: take(WIDTH.logIndex),
  };
}

export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  return (
    a.chainId - b.chainId ||
    a.blockNumber - b.blockNumber ||
    a.transactionIndex - b.transactionIndex ||
    a.logIndex - b.logIndex
  );
}

/** The highest checkpoint of a block: every log of blocks ≤ `blockNumber` sorts at or below it. */
export function blockCeiling(chainId: number, blockNumber: number): string {
  return encodeCheckpoint({
    chainId,
    blockNumber,
    transactionIndex: 10 ** WIDTH.transactionIndex - 1,
    logIndex: 10 ** WIDTH.logIndex - 1,
  });
}

/**
 * Paging cursor of a token flow: its log's checkpoint plus the flow's index within the log
 * (a settlement log yields several flows). Same order property as the checkpoint.
 */
export function flowCursor(checkpoint: string, flowIndex: number): string {
  return checkpoint + pad(flowIndex, 2, 'flowIndex');
}

export function isFlowCursor(s: string): boolean {
  return s.length === CHECKPOINT_LENGTH + 2 && /^\d+$/.test(s);
}
