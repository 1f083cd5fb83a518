import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { matchmakerV1 } from '@starminer/proto';
import { requireStackVar, stackEnv, waitUntil } from '@starminer/testing';
import { harnessDeployment } from './harness';

const main = path.resolve(__dirname, '../../dist/main.js');

/** A free TCP port below the ephemeral range. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * The built matchmaker (`services/matchmaker/dist/main.js`, build first with `npx tsc -b
 * services/matchmaker`) as a real child process with its own schema, consumer group and job
 * namespace, in this test file's Kafka namespace and in `deploymentsFile`'s deployment (default:
 * the file's stand-in, the one `new EventPublisher()` publishes in), so a test can SIGKILL it
 * mid-run and start another on the same state. Its output goes to `logFile`.
 */
export class ChildMatchmaker {
  private child?: ChildProcess;
  private grpcClient?: matchmakerV1.MatchmakerServiceClient;

  private constructor(
    readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  static async create(opts: {
    runId: string;
    pricingAddress: string;
    regionEnv: Record<string, string>;
    logFile: string;
    extraEnv?: Record<string, string>;
    deploymentsFile?: string;
  }): Promise<ChildMatchmaker> {
    if (!fs.existsSync(main))
      throw new Error(`${main} is missing: build with 'npx tsc -b services/matchmaker'`);
    const env: Record<string, string> = {
      // The stack's endpoints and this file's KAFKA_TOPIC_PREFIX.
      ...stackEnv(),
      PATH: process.env.PATH ?? '',
      HTTP_PORT: String(await freePort()),
      GRPC_PORT: String(await freePort()),
      DATABASE_URL: requireStackVar('DATABASE_URL'),
      DATABASE_SCHEMA: `mm_${opts.runId.replace(/-/g, '_')}`,
      KAFKA_GROUP_ID: `mm-${opts.runId}`,
      DEPLOYMENTS_FILE: opts.deploymentsFile ?? harnessDeployment().file,
      PRICING_GRPC_URL: opts.pricingAddress,
      JOB_NAMESPACE: `mm-${opts.runId}`,
      SIMULATION_ANNOTATIONS: 'true',
      TICK_MS: '200',
      RECONCILE_EVERY_MS: '2000',
      LOG_LEVEL: 'warn',
      ...opts.regionEnv,
      ...opts.extraEnv,
    };
    return new ChildMatchmaker(env, opts.logFile);
  }

  get namespace(): string {
    return this.env.JOB_NAMESPACE!;
  }

  get schema(): string {
    return this.env.DATABASE_SCHEMA!;
  }

  /** The running process's id (its leases name it `<hostname>/<pid>`). */
  get pid(): number | undefined {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  get client(): matchmakerV1.MatchmakerServiceClient {
    this.grpcClient ??= new matchmakerV1.MatchmakerServiceClient(
      `127.0.0.1:${this.env.GRPC_PORT}`,
      grpc.credentials.createInsecure(),
    );
    return this.grpcClient;
  }

  /** Starts a process and waits until it reports ready (every region synced, consumer running). */
  async start(): Promise<void> {
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [main], {
      env: this.env,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const child = this.child;
    await waitUntil(
      'the matchmaker process ready',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`the matchmaker exited with ${child.exitCode}: see ${this.logFile}`);
        const r = await fetch(`http://127.0.0.1:${this.env.HTTP_PORT}/readyz`).catch(
          () => undefined,
        );
        return r?.status === 200 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is cut wherever it is. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    this.grpcClient?.close();
    this.grpcClient = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) await this.kill();
  }
}
