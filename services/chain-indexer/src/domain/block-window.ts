/**
 * The window of unfinalized blocks the indexer has applied, linked by parent hash (ponder's
 * sync-realtime). Blocks at or below the trusted finalized number are pruned from it, except the
 * newest of them: the anchor every later block descends from. Pure: the follower feeds it headers
 * it fetched and acts on the decision.
 */
export interface BlockRef {
  number: number;
  /** 0x-prefixed, lower case. */
  hash: string;
  parentHash: string;
}

/** What to do with headers fetched from the cursor (inclusive) upward. */
export type Continuity =
  /** The chain still holds the cursor block: apply `blocks` (after the cursor, linked) next. */
  | { kind: 'extend'; blocks: BlockRef[] }
  /** The block at the cursor's height is another block: look for the common ancestor. */
  | { kind: 'diverged'; at: number }
  /** The answer is unusable (gaps, broken links, a node behind): fetch again later. */
  | { kind: 'retry'; reason: string };

/** Outcome of the search for where the stored window and the canonical chain meet. */
export type AncestorSearch =
  | { kind: 'reorg'; ancestor: BlockRef; oldHead: BlockRef; depth: number }
  /** The chain changed at or below what the indexer trusted as final: stop, do not guess. */
  | { kind: 'halt'; reason: string; oldHead: BlockRef; lowestChecked: number }
  | { kind: 'retry'; reason: string };

export function head(window: readonly BlockRef[]): BlockRef {
  const last = window[window.length - 1];
  if (!last) throw new Error('empty block window');
  return last;
}

/** Headers must be consecutive by number and each must name the previous one as its parent. */
export function linkProblem(blocks: readonly BlockRef[]): string | undefined {
  for (let i = 1; i < blocks.length; i++) {
    const prev = blocks[i - 1]!;
    const b = blocks[i]!;
    if (b.number !== prev.number + 1) return `block ${b.number} follows ${prev.number}`;
    if (b.parentHash !== prev.hash) {
      return `block ${b.number} names parent ${b.parentHash}, but block ${prev.number} is ${prev.hash}`;
    }
  }
  return undefined;
}

/**
 * Compares headers fetched for heights cursor..target with the window. A header set that is not
 * internally linked came from nodes that disagree (or changed mid-request): retry, never apply.
 */
export function checkContinuity(
  window: readonly BlockRef[],
  fetched: readonly BlockRef[],
): Continuity {
  const cursor = head(window);
  const first = fetched[0];
  if (!first) return { kind: 'retry', reason: 'no headers' };
  if (first.number !== cursor.number) {
    return {
      kind: 'retry',
      reason: `headers start at ${first.number}, cursor is ${cursor.number}`,
    };
  }
  const broken = linkProblem(fetched);
  if (broken) return { kind: 'retry', reason: `inconsistent headers: ${broken}` };
  if (first.hash !== cursor.hash) return { kind: 'diverged', at: cursor.number };
  return { kind: 'extend', blocks: fetched.slice(1) };
}

/**
 * Walks the window from the cursor down, comparing each stored block with the canonical block of
 * that height, until they agree. `canonical` holds what the node answered for those heights
 * (undefined when it had no block there, e.g. a node behind). The common ancestor must be at or
 * above `finalized`; a change at or below it, or below the whole window, halts.
 */
export function findCommonAncestor(
  window: readonly BlockRef[],
  canonical: ReadonlyMap<number, BlockRef>,
  finalized: number,
): AncestorSearch {
  const oldHead = head(window);
  for (let i = window.length - 1; i >= 0; i--) {
    const stored = window[i]!;
    const c = canonical.get(stored.number);
    if (!c) return { kind: 'retry', reason: `no canonical header for block ${stored.number}` };
    if (c.hash !== stored.hash) {
      if (stored.number <= finalized) {
        return {
          kind: 'halt',
          oldHead,
          lowestChecked: stored.number,
          reason:
            `reorg reaches block ${stored.number} (stored ${stored.hash}, chain now ${c.hash}), ` +
            `at or below the trusted finalized block ${finalized}: refusing to guess`,
        };
      }
      continue;
    }
    if (stored.number < finalized) {
      // Cannot happen with a pruned window (its oldest block is the finalized anchor) unless
      // finality moved; still, a reorg whose ancestor is below finality is not one we accept.
      return {
        kind: 'halt',
        oldHead,
        lowestChecked: stored.number,
        reason: `common ancestor ${stored.number} is below the trusted finalized block ${finalized}`,
      };
    }
    return { kind: 'reorg', ancestor: stored, oldHead, depth: oldHead.number - stored.number };
  }
  const lowest = window[0]!.number;
  return {
    kind: 'halt',
    oldHead,
    lowestChecked: lowest,
    reason: `reorg deeper than the window: no common ancestor at or above block ${lowest}`,
  };
}

/** Heights the ancestor search needs headers for, newest first. */
export function ancestorHeights(window: readonly BlockRef[]): number[] {
  return window.map((b) => b.number).reverse();
}

/**
 * The finalized number the indexer trusts: the node's `finalized` tag or head - finalityDepth,
 * whichever is higher, never above the cursor, never moving back (a node that is behind must not
 * un-finalize anything).
 */
export function trustedFinalized(opts: {
  previous: number;
  chainHead: number;
  finalityDepth: number;
  finalizedTag?: number;
  cursor: number;
}): number {
  const byDepth = opts.chainHead - opts.finalityDepth;
  const candidate = Math.max(byDepth, opts.finalizedTag ?? -1);
  return Math.max(opts.previous, Math.min(candidate, opts.cursor));
}

/** Drops blocks below `finalized` (keeping the newest finalized block as the anchor). */
export function pruneWindow(window: readonly BlockRef[], finalized: number): BlockRef[] {
  let anchor = 0;
  for (let i = 0; i < window.length; i++) if (window[i]!.number <= finalized) anchor = i;
  return window.slice(anchor);
}

/**
 * Next block range to index: after the cursor, up to head - confirmations, at most `batchBlocks`
 * blocks. Undefined when the cursor is already at the confirmed head (or the node reports a head
 * behind us, which a lagging node does: wait, never go back on its word alone).
 */
export function nextRange(opts: {
  cursor: number;
  chainHead: number;
  confirmations: number;
  batchBlocks: number;
}): { from: number; to: number } | undefined {
  const confirmed = opts.chainHead - opts.confirmations;
  if (confirmed <= opts.cursor) return undefined;
  const from = opts.cursor + 1;
  return { from, to: Math.min(confirmed, from + opts.batchBlocks - 1) };
}

/** The follower's output, in order: ponder's realtime stream of block | reorg | finalize. */
export type SyncEvent<L> =
  | { type: 'block'; block: BlockRef & { timestamp: number }; logs: L[] }
  | { type: 'reorg'; ancestor: BlockRef; oldHead: BlockRef; newHead?: BlockRef; depth: number }
  | { type: 'finalize'; block: BlockRef };
