import { type BlockRef } from '../domain/block-window';

/** A JSON-RPC error the node answered with (not a transport failure). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: JSON-RPC error ${code}: ${message}`);
  }
}

/** The node could not be reached, timed out, or answered something that is not JSON-RPC. */
export class RpcTransportError extends Error {
  override readonly name = 'RpcTransportError';
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

export interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  logsBloom: string;
}

export interface BlockHeader extends BlockRef {
  timestamp: number;
  logsBloom: string;
}

export function toHeader(b: RawBlock): BlockHeader {
  return {
    number: Number(BigInt(b.number)),
    hash: b.hash.toLowerCase(),
    parentHash: b.parentHash.toLowerCase(),
    timestamp: Number(BigInt(b.timestamp)),
    logsBloom: b.logsBloom,
  };
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Minimal JSON-RPC client over fetch with batching: the follower needs a few methods, exact
 * control over batches and timeouts, and no hidden caching or polling (ethers' provider has both).
 */
export class JsonRpcClient {
  private id = 0;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
    /** Largest JSON-RPC batch in one HTTP request. */
    private readonly maxBatch = 200,
  ) {}

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const [r] = await this.batch<T>([{ method, params }]);
    return r as T;
  }

  /** Results in call order; the first JSON-RPC error is thrown. */
  async batch<T>(calls: RpcCall[]): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < calls.length; i += this.maxBatch) {
      out.push(...(await this.send<T>(calls.slice(i, i + this.maxBatch))));
    }
    return out;
  }

  private async send<T>(calls: RpcCall[]): Promise<T[]> {
    if (calls.length === 0) return [];
    const body = calls.map((c) => ({
      jsonrpc: '2.0',
      id: ++this.id,
      method: c.method,
      params: c.params,
    }));
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body.length === 1 ? body[0] : body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RpcTransportError(`${calls[0]!.method}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new RpcTransportError(`${calls[0]!.method}: HTTP ${res.status}`);
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      throw new RpcTransportError(`${calls[0]!.method}: reply is not JSON`, { cause: err });
    }
    const replies = (Array.isArray(json) ? json : [json]) as {
      id: number;
      result?: T;
      error?: { code: number; message: string; data?: unknown };
    }[];
    const byId = new Map(replies.map((r) => [r.id, r]));
    return body.map((b) => {
      const r = byId.get(b.id);
      if (!r) throw new RpcTransportError(`${b.method}: no reply in the batch`);
      if (r.error) throw new RpcError(b.method, r.error.code, r.error.message, r.error.data);
      return r.result as T;
    });
  }

  async chainId(): Promise<number> {
    return Number(BigInt(await this.call<string>('eth_chainId')));
  }

  /** Head number and the node's `finalized` block (undefined if it has no such tag). */
  async heads(): Promise<{ head: number; finalized?: number }> {
    const head = Number(BigInt(await this.call<string>('eth_blockNumber')));
    let finalized: number | undefined;
    try {
      const b = await this.call<RawBlock | null>('eth_getBlockByNumber', ['finalized', false]);
      if (b) finalized = Number(BigInt(b.number));
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
    }
    return { head, finalized };
  }

  /** Headers of the given heights; undefined where the node has no such block (yet). */
  async headers(numbers: number[]): Promise<(BlockHeader | undefined)[]> {
    const raw = await this.batch<RawBlock | null>(
      numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), false] })),
    );
    return raw.map((b) => (b ? toHeader(b) : undefined));
  }

  getLogs(addresses: string[], fromBlock: number, toBlock: number): Promise<RawLog[]> {
    return this.call<RawLog[]>('eth_getLogs', [
      { address: addresses, fromBlock: hex(fromBlock), toBlock: hex(toBlock) },
    ]);
  }

  /** Logs of one block by hash: a node that does not know the block errors instead of answering []. */
  getLogsByBlockHash(addresses: string[], blockHash: string): Promise<RawLog[]> {
    return this.call<RawLog[]>('eth_getLogs', [{ address: addresses, blockHash }]);
  }
}
