import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { waitUntil } from './wait';

/** The repository's root (this file runs from libs/testing/src or libs/testing/dist). */
export const repoRoot = path.resolve(__dirname, '../../..');

export type LogLine = Record<string, unknown> & { level: string; msg: string; service: string };

/** A service started as `node services/<name>/dist/main.js`, with its output collected. */
export class ServiceProcess {
  readonly stdoutLines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    // Only what the test gives: nothing of the developer's environment leaks into the config.
    this.child = spawn(process.execPath, [path.join(repoRoot, 'services', name, 'dist/main.js')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.stdoutLines.push(...parts);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Every stdout line parsed as JSON; throws on a line that is not a JSON log object. */
  logs(): LogLine[] {
    return this.stdoutLines.map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`${this.name} wrote a line that is not JSON: ${line}`);
      }
    });
  }

  async waitForLog(msg: string, timeoutMs = 60_000): Promise<LogLine> {
    return waitUntil(
      `${this.name} to log "${msg}" (stderr so far: ${this.stderr.slice(-500)})`,
      () => this.logs().find((l) => l.msg === msg),
      { timeoutMs },
    );
  }

  /** The ports it bound, from its "started" log line (it is given port 0 for both). */
  async started(): Promise<{ httpPort: number; grpcPort: number }> {
    const line = await this.waitForLog('started');
    return { httpPort: Number(line.httpPort), grpcPort: Number(line.grpcPort) };
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Whether the OS still knows the process. */
  alive(): boolean {
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Test cleanup: a process still running after a test is killed, never left behind. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** A TCP port nothing listens on: bound by the OS, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function httpGet(
  port: number,
  urlPath: string,
): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: await res.text(),
  };
}
