import { type PgLease } from '@starminer/eventing';
import {
  checkContinuity,
  findCommonAncestor,
  nextRange,
  trustedFinalized,
  type BlockRef,
} from '../domain/block-window';
import { type DecodedLog } from '../domain/chain-events';
import { type BlockHeader, JsonRpcClient, RpcError, type RawLog } from './json-rpc';
import { type LogDecoder } from './log-decoder';
import { IndexerHaltedError, type MirrorStore } from './mirror-store';

export interface FollowerLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ChainFollowerOptions {
  rpc: JsonRpcClient;
  decoder: LogDecoder;
  store: MirrorStore;
  /** First block with StarMiner logs; the block before it is the starting anchor. */
  deploymentBlock: number;
  /** Blocks a log must be buried under before it is indexed (0 = index the head). */
  confirmations: number;
  /** Blocks under the head treated as final when the node's `finalized` tag says less. */
  finalityDepth: number;
  /** Most blocks per step (one eth_getLogs range, one transaction). */
  batchBlocks: number;
  pollIntervalMs: number;
  logger: FollowerLogger;
  /** Not ready when no step succeeded for this long (default 60 s). */
  stallAfterMs?: number;
  /**
   * With replicas: the `chain-follower` lease. Only its holder steps; the others stand by and try
   * it every `standbyPollMs` (default 1 s), so a standby follows on within about that after the
   * holder dies.
   */
  lease?: PgLease;
  standbyPollMs?: number;
}

export type StepResult = 'progress' | 'idle' | 'reorg' | 'halted';

export interface FollowerStatus {
  cursor?: number;
  head?: number;
  finalized?: number;
  halted?: string;
  lastError?: string;
  /** Another replica holds the `chain-follower` lease: this one does not step. */
  standby?: boolean;
  lastSuccessAt: number;
  eventsPublished: number;
  logsIndexed: number;
  reorgs: number;
}

/** A node answer that cannot be applied as is (behind, mid-reorg, inconsistent): retry later. */
class RetryLater extends Error {}

/**
 * Follows the chain by block ranges with a cursor: reads the head, fetches headers from the cursor
 * up to head - confirmations, checks they descend from the cursor block, reads the range's logs
 * with one eth_getLogs, checks every log against its block's header (hash, and the logs bloom for
 * blocks that came back empty), and applies the range in one transaction. A cursor block the chain
 * no longer holds starts the ancestor search: roll back within the window, halt below finality.
 */
export class ChainFollower {
  readonly status: FollowerStatus = {
    lastSuccessAt: Date.now(),
    eventsPublished: 0,
    logsIndexed: 0,
    reorgs: 0,
  };
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastHaltLog = 0;

  constructor(private readonly o: ChainFollowerOptions) {
    o.lease?.onLost(() => this.wake?.());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  readiness(): { name: string; check(): Promise<void> } {
    return {
      name: 'chain-follower',
      check: async () => {
        if (this.status.standby) return;
        if (this.status.halted) throw new Error(`indexing halted: ${this.status.halted}`);
        const stallAfter = this.o.stallAfterMs ?? 60_000;
        if (Date.now() - this.status.lastSuccessAt > stallAfter) {
          throw new Error(
            `no successful step for ${Math.round((Date.now() - this.status.lastSuccessAt) / 1000)} s: ${this.status.lastError ?? 'unknown'}`,
          );
        }
      },
    };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (!(await this.leads())) {
        await this.sleep(this.o.standbyPollMs ?? 1_000);
        continue;
      }
      let result: StepResult | 'error';
      try {
        result = await this.step();
        failures = 0;
      } catch (err) {
        failures++;
        result = 'error';
        this.status.lastError = (err as Error).message;
        if (!(err instanceof RetryLater)) {
          this.o.logger.warn('chain follower step failed; retrying', {
            error: (err as Error).message,
            failures,
          });
        }
      }
      if (result === 'progress' || result === 'reorg') continue;
      const delay =
        result === 'error'
          ? Math.min(5_000, this.o.pollIntervalMs * 2 ** Math.min(failures, 6))
          : this.o.pollIntervalMs;
      await this.sleep(delay);
    }
  }

  /** Whether this replica follows now (always, without a lease). */
  private async leads(): Promise<boolean> {
    if (!this.o.lease) return true;
    let held = false;
    try {
      held = await this.o.lease.tryAcquire();
    } catch (err) {
      this.status.lastError = `chain-follower lease: ${(err as Error).message}`;
    }
    // A follower that just took over is judged on its own steps from now, not the standby's wait.
    if (held && this.status.standby !== false) this.status.lastSuccessAt = Date.now();
    this.status.standby = !held;
    return held;
  }

  /** One step; exposed so tests can drive the follower without timers. */
  async step(): Promise<StepResult> {
    let state = await this.o.store.load();
    if (!state) {
      const anchorNumber = Math.max(0, this.o.deploymentBlock - 1);
      const [anchor] = await this.o.rpc.headers([anchorNumber]);
      if (!anchor) throw new RetryLater(`node has no block ${anchorNumber} yet`);
      await this.o.store.initialize(anchor);
      state = await this.o.store.load();
      if (!state) throw new Error('cursor missing after initialization');
      this.o.logger.info('chain indexer initialized', { anchor: anchor.number, hash: anchor.hash });
    }
    if (state.halted) return this.halted(state.halted);
    const cursor = state.cursor;
    this.status.cursor = cursor.number;
    this.status.finalized = state.finalized;

    const { head, finalized: tag } = await this.o.rpc.heads();
    this.status.head = head;
    if (head < cursor.number) {
      // A node behind us (or one that lost blocks): never move back on its word alone.
      this.status.lastSuccessAt = Date.now();
      return 'idle';
    }
    const range = nextRange({
      cursor: cursor.number,
      chainHead: head,
      confirmations: this.o.confirmations,
      batchBlocks: this.o.batchBlocks,
    });
    const to = range?.to ?? cursor.number;
    const heights = Array.from({ length: to - cursor.number + 1 }, (_, i) => cursor.number + i);
    const headers = await this.o.rpc.headers(heights);
    if (headers.some((h) => !h)) throw new RetryLater('node has not got every block of the range');
    const fetched = headers as BlockHeader[];

    const continuity = checkContinuity(state.window, fetched);
    if (continuity.kind === 'retry') throw new RetryLater(continuity.reason);
    if (continuity.kind === 'diverged') return this.reorg(state.window, state.finalized, head);

    const blocks = fetched.slice(1);
    const newCursor = blocks[blocks.length - 1]?.number ?? cursor.number;
    const finalized = trustedFinalized({
      previous: state.finalized,
      chainHead: head,
      finalityDepth: this.o.finalityDepth,
      finalizedTag: tag,
      cursor: newCursor,
    });
    if (blocks.length === 0) {
      if (finalized > state.finalized) await this.o.store.applyBlocks(cursor, [], [], finalized);
      this.status.lastSuccessAt = Date.now();
      return 'idle';
    }
    const logs = await this.logsOf(blocks);
    const published = await this.o.store.applyBlocks(cursor, blocks, logs, finalized);
    this.status.cursor = newCursor;
    this.status.finalized = finalized;
    this.status.logsIndexed += logs.length;
    this.status.eventsPublished += published;
    this.status.lastSuccessAt = Date.now();
    this.status.lastError = undefined;
    return 'progress';
  }

  private halted(reason: string): StepResult {
    this.status.halted = reason;
    if (Date.now() - this.lastHaltLog > 60_000) {
      this.lastHaltLog = Date.now();
      this.o.logger.error('chain indexing is HALTED: a reorg went deeper than trusted finality', {
        reason,
        action:
          'inspect the chain, then reset the indexer schema to re-index from the deployment block',
      });
    }
    return 'halted';
  }

  private async reorg(window: BlockRef[], finalized: number, head: number): Promise<StepResult> {
    const canonical = new Map<number, BlockRef>();
    const headers = await this.o.rpc.headers(window.map((b) => b.number));
    for (const h of headers) if (h) canonical.set(h.number, h);
    const found = findCommonAncestor(window, canonical, finalized);
    if (found.kind === 'retry') throw new RetryLater(found.reason);
    if (found.kind === 'halt') {
      this.o.logger.error('reorg deeper than trusted finality: halting indexing', {
        reason: found.reason,
        oldHead: found.oldHead.number,
        finalized,
        head,
      });
      await this.o.store.halt(found.reason);
      return this.halted(found.reason);
    }
    const { voided } = await this.o.store.revertTo(found.oldHead, {
      ancestor: found.ancestor,
      oldHead: found.oldHead,
      newHead: canonical.get(found.oldHead.number),
      depth: found.depth,
    });
    this.status.reorgs++;
    this.o.logger.warn('chain reorg: mirror rolled back to the common ancestor', {
      reorgDepth: found.depth,
      ancestor: found.ancestor.number,
      ancestorHash: found.ancestor.hash,
      oldHead: found.oldHead.number,
      voidedEvents: voided,
    });
    return 'reorg';
  }

  /** Logs of consecutive blocks, checked against their headers; decoded, checkpoint order. */
  private async logsOf(blocks: BlockHeader[]): Promise<DecodedLog[]> {
    const byNumber = new Map(blocks.map((b) => [b.number, b]));
    const addresses = this.o.decoder.addresses();
    const raw = await this.rangeLogs(
      addresses,
      blocks[0]!.number,
      blocks[blocks.length - 1]!.number,
    );
    const seen = new Set<number>();
    for (const l of raw) {
      const n = Number(BigInt(l.blockNumber));
      const header = byNumber.get(n);
      if (l.removed) throw new RetryLater(`log in block ${n} marked removed`);
      if (!header) throw new RetryLater(`log from block ${n} outside the requested range`);
      if (l.blockHash.toLowerCase() !== header.hash) {
        throw new RetryLater(
          `log of block ${n} has hash ${l.blockHash}, header says ${header.hash}`,
        );
      }
      seen.add(n);
    }
    // A node that is behind answers a range short without an error: every block whose bloom admits
    // our logs but that came back empty is asked again by hash, which such a node cannot answer.
    const suspicious = blocks.filter(
      (b) => !seen.has(b.number) && this.o.decoder.bloomMayContain(b.logsBloom),
    );
    for (const b of suspicious) {
      const again = await this.o.rpc.getLogsByBlockHash(addresses, b.hash);
      for (const l of again) {
        if (l.blockHash.toLowerCase() !== b.hash || l.removed) {
          throw new RetryLater(`block ${b.number} logs by hash disagree with its header`);
        }
      }
      raw.push(...again);
    }
    const decoded: DecodedLog[] = [];
    for (const l of raw) {
      const d = this.o.decoder.decode(l, byNumber.get(Number(BigInt(l.blockNumber)))!);
      if (d) decoded.push(d);
    }
    decoded.sort((a, b) => (a.meta.checkpoint < b.meta.checkpoint ? -1 : 1));
    for (let i = 1; i < decoded.length; i++) {
      if (decoded[i]!.meta.checkpoint === decoded[i - 1]!.meta.checkpoint) {
        throw new RetryLater(`duplicate log ${decoded[i]!.meta.checkpoint} in the answer`);
      }
    }
    return decoded;
  }

  /** eth_getLogs over a range, halving it when the node refuses a range that big. */
  private async rangeLogs(addresses: string[], from: number, to: number): Promise<RawLog[]> {
    try {
      return await this.o.rpc.getLogs(addresses, from, to);
    } catch (err) {
      if (!(err instanceof RpcError) || from === to) throw err;
      const mid = Math.floor((from + to) / 2);
      return [
        ...(await this.rangeLogs(addresses, from, mid)),
        ...(await this.rangeLogs(addresses, mid + 1, to)),
      ];
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

export { IndexerHaltedError };
