import {
  checkContinuity,
  findCommonAncestor,
  nextRange,
  pruneWindow,
  trustedFinalized,
  type BlockRef,
} from './block-window';

/** A chain of blocks from..to on fork `fork` (hash encodes both), branching from `base`. */
function chain(from: number, to: number, fork = 'a', parentOfFirst?: string): BlockRef[] {
  const out: BlockRef[] = [];
  for (let n = from; n <= to; n++) {
    const prev = out[out.length - 1];
    out.push({
      number: n,
      hash: `0x${fork}${n}`,
      parentHash: prev ? prev.hash : (parentOfFirst ?? `0x${fork}${n - 1}`),
    });
  }
  return out;
}
const byNumber = (blocks: BlockRef[]) => new Map(blocks.map((b) => [b.number, b]));

describe('continuity of fetched headers with the window', () => {
  const window = chain(10, 15);

  it('extends when the cursor block is still there and the new headers link', () => {
    const fetched = chain(15, 18);
    expect(checkContinuity(window, fetched)).toEqual({ kind: 'extend', blocks: fetched.slice(1) });
  });

  it('sees a same-height reorg: the cursor height now holds another block', () => {
    const fetched = chain(13, 15, 'b', '0xa12').slice(2);
    expect(checkContinuity(window, fetched)).toEqual({ kind: 'diverged', at: 15 });
  });

  it('retries on answers that do not link (nodes disagreeing) or start elsewhere', () => {
    const broken = [...chain(15, 16), ...chain(17, 18, 'b')];
    expect(checkContinuity(window, broken).kind).toBe('retry');
    expect(checkContinuity(window, chain(16, 18)).kind).toBe('retry');
    expect(checkContinuity(window, []).kind).toBe('retry');
  });
});

describe('finding the common ancestor', () => {
  const window = chain(10, 20);

  it.each([1, 2, 3, 5, 8, 10])('rolls back a reorg of depth %i to the block below it', (depth) => {
    const forkPoint = 20 - depth;
    const canonical = [
      ...chain(10, forkPoint),
      ...chain(forkPoint + 1, 20, 'b', `0xa${forkPoint}`),
    ];
    const found = findCommonAncestor(window, byNumber(canonical), 10);
    expect(found).toMatchObject({ kind: 'reorg', depth, ancestor: { number: forkPoint } });
  });

  it('halts when the reorg reaches the trusted finalized block', () => {
    const canonical = [...chain(10, 13), ...chain(14, 20, 'b', '0xa13')];
    const found = findCommonAncestor(window, byNumber(canonical), 15);
    expect(found.kind).toBe('halt');
    if (found.kind === 'halt') expect(found.reason).toMatch(/finalized block 15/);
  });

  it('halts when no block of the window is canonical any more', () => {
    const found = findCommonAncestor(window, byNumber(chain(10, 20, 'z')), 0);
    expect(found).toMatchObject({ kind: 'halt', lowestChecked: 10 });
  });

  it('retries when the node has no block at a height the window holds (a node behind)', () => {
    const found = findCommonAncestor(window, byNumber(chain(10, 17)), 10);
    expect(found.kind).toBe('retry');
  });
});

describe('finality and ranges', () => {
  it('trusts the higher of the finalized tag and head - depth, never beyond the cursor, never back', () => {
    expect(trustedFinalized({ previous: 0, chainHead: 100, finalityDepth: 64, cursor: 100 })).toBe(
      36,
    );
    expect(
      trustedFinalized({
        previous: 0,
        chainHead: 100,
        finalityDepth: 64,
        finalizedTag: 98,
        cursor: 100,
      }),
    ).toBe(98);
    expect(
      trustedFinalized({
        previous: 0,
        chainHead: 100,
        finalityDepth: 64,
        finalizedTag: 98,
        cursor: 50,
      }),
    ).toBe(50);
    expect(trustedFinalized({ previous: 40, chainHead: 60, finalityDepth: 64, cursor: 60 })).toBe(
      40,
    );
  });

  it('prunes the window to the newest finalized block and what follows it', () => {
    expect(pruneWindow(chain(10, 20), 14).map((b) => b.number)).toEqual([
      14, 15, 16, 17, 18, 19, 20,
    ]);
    expect(pruneWindow(chain(10, 20), 5).map((b) => b.number)[0]).toBe(10);
  });

  it('indexes up to head - confirmations in batches, and waits at a lower head', () => {
    expect(nextRange({ cursor: 10, chainHead: 100, confirmations: 5, batchBlocks: 50 })).toEqual({
      from: 11,
      to: 60,
    });
    expect(nextRange({ cursor: 90, chainHead: 100, confirmations: 5, batchBlocks: 50 })).toEqual({
      from: 91,
      to: 95,
    });
    expect(
      nextRange({ cursor: 95, chainHead: 100, confirmations: 5, batchBlocks: 50 }),
    ).toBeUndefined();
    expect(
      nextRange({ cursor: 95, chainHead: 80, confirmations: 0, batchBlocks: 50 }),
    ).toBeUndefined();
  });
});
