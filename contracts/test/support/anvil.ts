// A private anvil per test file. Contract tests snapshot, revert and move the clock; on the shared
// stack chain those are global and would roll back or shift other suites' state, so each file
// starts its own node from the same anvil binary deploy/local uses.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider } from 'ethers';

const ROOT = path.resolve(__dirname, '../../..');

function anvilBinary(): string {
  const base = path.join(ROOT, 'node_modules/@foundry-rs');
  const dirs = fs.existsSync(base)
    ? fs.readdirSync(base).filter((d) => d.startsWith('anvil-'))
    : [];
  for (const d of dirs) {
    const bin = path.join(base, d, 'bin/anvil');
    if (fs.existsSync(bin)) return bin;
  }
  throw new Error(
    "anvil binary not found under node_modules/@foundry-rs: run 'npm ci' at the repository root",
  );
}

export interface RpcCall {
  method: string;
  params?: unknown[];
}

export class TestChain {
  readonly provider: JsonRpcProvider;
  private id = 0;

  constructor(
    readonly url: string,
    private readonly child?: ChildProcess,
  ) {
    this.provider = new JsonRpcProvider(url, 31337, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
  }

  /** One JSON-RPC call, bypassing ethers' request queue (fast path for property tests). */
  async rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch<T>([{ method, params }]);
    return result as T;
  }

  /** Sends calls as one JSON-RPC batch; results come back in call order. Throws on any error. */
  async batch<T = unknown>(calls: RpcCall[]): Promise<T[]> {
    const body = calls.map((c) => ({
      jsonrpc: '2.0',
      id: ++this.id,
      method: c.method,
      params: c.params ?? [],
    }));
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const replies = (await res.json()) as {
      id: number;
      result?: T;
      error?: { message: string; data?: unknown };
    }[];
    const byId = new Map(replies.map((r) => [r.id, r]));
    return body.map((b) => {
      const r = byId.get(b.id);
      if (!r) throw new Error(`no reply to ${b.method}`);
      if (r.error)
        throw Object.assign(new Error(`${b.method}: ${r.error.message}`), { data: r.error.data });
      return r.result as T;
    });
  }

  snapshot(): Promise<string> {
    return this.rpc<string>('evm_snapshot');
  }

  async revert(id: string): Promise<void> {
    if (!(await this.rpc<boolean>('evm_revert', [id]))) throw new Error(`evm_revert ${id} failed`);
  }

  async increaseTime(seconds: number): Promise<void> {
    await this.rpc('evm_increaseTime', [seconds]);
    await this.rpc('evm_mine');
  }

  async now(): Promise<number> {
    const block = await this.provider.getBlock('latest');
    if (!block) throw new Error('no latest block');
    return block.timestamp;
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child?.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Starts anvil on a free port with the dev mnemonic's 20 accounts and waits until it listens. */
export async function startAnvil(extraArgs: string[] = []): Promise<TestChain> {
  // anvil keeps old states on disk under $HOME/.foundry/anvil/tmp and never removes them (a
  // long backfill leaves gigabytes): each private anvil gets a HOME of its own, removed when it
  // exits.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'anvil-home-'));
  const child = spawn(
    anvilBinary(),
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--chain-id',
      '31337',
      '--accounts',
      '20',
      '--balance',
      '100000',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home } },
  );
  child.once('exit', () => fs.rmSync(home, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`anvil did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(`http://${m[1]}`);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}: ${out}`)));
  });
  return new TestChain(url, child);
}
