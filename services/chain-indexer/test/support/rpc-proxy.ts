// An unreliable JSON-RPC endpoint in front of anvil: drops a share of requests (the connection is
// destroyed without an answer) and sometimes answers as a node that is some blocks behind: a
// lower eth_blockNumber, no block above its head, and eth_getLogs ranges cut at its head without
// an error (what a lagging node behind a load balancer does).
import http from 'node:http';
import { type AddressInfo } from 'node:net';

interface Req {
  id: number;
  method: string;
  params: unknown[];
}

export class FlakyRpcProxy {
  readonly stats = { requests: 0, dropped: 0, stale: 0 };
  private server: http.Server | undefined;

  constructor(
    private readonly target: string,
    private readonly opts: { dropRate: number; staleRate: number; maxLag: number },
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async forward(body: unknown): Promise<unknown> {
    const res = await fetch(this.target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.stats.requests++;
    if (Math.random() < this.opts.dropRate) {
      this.stats.dropped++;
      req.socket.destroy();
      return;
    }
    const parsed = JSON.parse(Buffer.concat(chunks).toString()) as Req | Req[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    let replies: unknown;
    if (Math.random() < this.opts.staleRate) {
      this.stats.stale++;
      const real = (await this.forward({
        jsonrpc: '2.0',
        id: 0,
        method: 'eth_blockNumber',
        params: [],
      })) as { result: string };
      const staleHead = Math.max(
        0,
        Number(BigInt(real.result)) - 1 - Math.floor(Math.random() * this.opts.maxLag),
      );
      replies = await Promise.all(calls.map((c) => this.stale(c, staleHead)));
    } else {
      replies = await this.forward(parsed);
    }
    const out = Array.isArray(parsed) ? replies : Array.isArray(replies) ? replies[0] : replies;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  }

  /** One call answered as a node whose head is `head`. */
  private async stale(c: Req, head: number): Promise<unknown> {
    const hex = (n: number) => `0x${n.toString(16)}`;
    const num = (v: unknown) =>
      typeof v === 'string' && v.startsWith('0x') ? Number(BigInt(v)) : undefined;
    if (c.method === 'eth_blockNumber') return { jsonrpc: '2.0', id: c.id, result: hex(head) };
    if (c.method === 'eth_getBlockByNumber') {
      const n = num(c.params[0]);
      if (n !== undefined && n > head) return { jsonrpc: '2.0', id: c.id, result: null };
      if (c.params[0] === 'latest') return this.forward({ ...c, params: [hex(head), c.params[1]] });
    }
    if (c.method === 'eth_getLogs') {
      const f = { ...(c.params[0] as Record<string, unknown>) };
      const to = num(f.toBlock);
      const from = num(f.fromBlock);
      if (from !== undefined && from > head) return { jsonrpc: '2.0', id: c.id, result: [] };
      if (to !== undefined && to > head) f.toBlock = hex(head);
      return this.forward({ ...c, params: [f] });
    }
    return this.forward(c);
  }
}
