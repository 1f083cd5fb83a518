import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');
const k8sDir = path.join(repoRoot, 'deploy/local/k8s');

function k8sBinDir(): string {
  return execFileSync(
    'bash',
    ['-c', 'source deploy/local/versions.env; source deploy/local/lib.sh; k8s_bin_dir'],
    { cwd: repoRoot, encoding: 'utf8' },
  ).trim();
}

/** A free TCP port below the ephemeral range (fixed ports must stay under 32768). */
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

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes a supervisor restarts when they exit during an API-server outage. */
const RESTARTED = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** A pool of simulated GPU nodes, in the shape of deploy/local/gpu-nodes.yaml. */
export interface PrivatePool {
  pool: string;
  /** A product key of deploy/local/gpu-nodes.yaml (H100-80GB, A100-80GB, A100-40GB, L40S, RTX-4090). */
  product: string;
  gpusPerNode: number;
  nodes: number;
}

/**
 * One region of its own: a kwokctl control plane (binary runtime, the stack's cached binaries,
 * the stack's pod stages so `starminer.io/sim-*` annotations script the workload) in a private
 * KWOK_WORKDIR on a free port, with GPU nodes rendered by deploy/local/k8s/gpu-nodes.js. For
 * tests that stop API servers, delete nodes or load clusters without touching the shared regions.
 */
export class PrivateKwokRegion {
  private constructor(
    readonly region: string,
    readonly provider: string,
    readonly workdir: string,
    readonly kubeconfig: string,
    private readonly name: string,
    private readonly bin: string,
    private readonly nodesFile: string,
  ) {}

  static async create(opts: {
    region: string;
    provider: string;
    pools: PrivatePool[];
  }): Promise<PrivateKwokRegion> {
    const bin = k8sBinDir();
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `kwok-${opts.region}-`));
    const name = opts.region;
    const port = await freePort();
    const env = { ...process.env, KWOK_WORKDIR: workdir, PATH: `${bin}:${process.env.PATH}` };
    execFileSync(
      `${bin}/kwokctl`,
      [
        ...['create', 'cluster', '--name', name, '--runtime', 'binary'],
        ...['--kube-apiserver-port', String(port)],
        // Every other port too: left to kwokctl, they come from a narrow range near 32768 and
        // collide between clusters started at the same time (a kwok-controller that cannot bind
        // exits, and its nodes go NotReady).
        ...['--etcd-port', String(await freePort())],
        ...['--controller-port', String(await freePort())],
        ...['--kube-controller-manager-port', String(await freePort())],
        ...['--kube-scheduler-port', String(await freePort())],
        ...['--etcd-binary', `${bin}/etcd`, '--kube-apiserver-binary', `${bin}/kube-apiserver`],
        ...['--kube-controller-manager-binary', `${bin}/kube-controller-manager`],
        ...['--kube-scheduler-binary', `${bin}/kube-scheduler`],
        ...['--kwok-controller-binary', `${bin}/kwok`],
        ...['--kubeconfig', path.join(workdir, 'merged.yaml')],
        ...['-c', path.join(k8sDir, 'stages.yaml'), '--disable-qps-limits', '--wait', '120s'],
      ],
      { env: { ...env, KWOK_KUBECTL_BINARY: `${bin}/kubectl` }, stdio: 'ignore' },
    );
    // gpu-nodes.js reads YAML, of which JSON is a subset.
    const nodesFile = path.join(workdir, 'gpu-nodes.json');
    const products = JSON.parse(
      execFileSync(
        'node',
        [
          '-e',
          "console.log(JSON.stringify(require('yaml').parse(require('fs').readFileSync(process.argv[1],'utf8')).products))",
          path.join(repoRoot, 'deploy/local/gpu-nodes.yaml'),
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      ),
    ) as Record<string, unknown>;
    fs.writeFileSync(
      nodesFile,
      JSON.stringify({
        version: 1,
        providers: { p: opts.provider },
        products,
        pools: opts.pools.map((p) => ({
          ...p,
          region: opts.region,
          provider: 'p',
          cpu: 64,
          memory: '512Gi',
        })),
      }),
    );
    const r = new PrivateKwokRegion(
      opts.region,
      opts.provider,
      workdir,
      path.join(workdir, 'clusters', name, 'kubeconfig.yaml'),
      name,
      bin,
      nodesFile,
    );
    r.kubectl(['apply', '-f', '-'], r.render(['region', opts.region]));
    return r;
  }

  private render(args: string[]): string {
    return execFileSync('node', [path.join(k8sDir, 'gpu-nodes.js'), ...args], {
      env: { ...process.env, GPU_NODES_FILE: this.nodesFile },
      encoding: 'utf8',
    });
  }

  kubectl(args: string[], input?: string): string {
    return execFileSync(`${this.bin}/kubectl`, ['--kubeconfig', this.kubeconfig, ...args], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Adds one more node to a pool (a node operator joining). Returns its name. */
  addNode(pool: string, index: number): string {
    this.kubectl(['apply', '-f', '-'], this.render(['node', this.region, pool, String(index)]));
    return `${this.region}-${pool}-${index}`;
  }

  private supervisor?: NodeJS.Timeout;
  /** Command lines of the control-plane processes, kept while the API server is away. */
  private argv = new Map<string, string[]>();

  private pidFile(component: string): string {
    return path.join(this.workdir, 'clusters', this.name, 'pids', `${component}.pid`);
  }

  private pidOf(component: string): number {
    return Number(fs.readFileSync(this.pidFile(component), 'utf8').trim());
  }

  /**
   * Kills this region's kube-apiserver alone (clients see connection refused) while etcd and
   * kwok keep running, as a real cluster's nodes keep running their pods while its API server
   * is away. (kwok does not resume a pod's stages after a whole-cluster restart, so `stop()`
   * would freeze running pods forever.)
   */
  async stopApiServer(): Promise<void> {
    for (const c of RESTARTED) {
      const pid = this.pidOf(c);
      this.argv.set(
        c,
        fs
          .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .filter((a) => a !== ''),
      );
    }
    const pid = this.pidOf('kube-apiserver');
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  }

  /**
   * Freezes the kube-apiserver (SIGSTOP): it keeps its connections and accepts new ones but
   * answers nothing, like a hung or overloaded API server. `thawApiServer` lets it go on.
   */
  freezeApiServer(): void {
    process.kill(this.pidOf('kube-apiserver'), 'SIGSTOP');
  }

  thawApiServer(): void {
    process.kill(this.pidOf('kube-apiserver'), 'SIGCONT');
  }

  /**
   * Starts the kube-apiserver again with the same arguments and waits until it is ready; then
   * starts the controller manager and scheduler again if they exited, as their supervisor
   * would (they exit when they cannot renew their leader lease while the API server is away).
   */
  async startApiServer(): Promise<void> {
    this.respawn('kube-apiserver');
    for (let i = 0; ; i++) {
      try {
        this.kubectl(['get', '--raw', '/readyz']);
        break;
      } catch (err) {
        if (i > 600) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // They may give up on their lease a little later too: watch them until the region is deleted.
    const supervise = () => {
      for (const c of RESTARTED) if (!alive(this.pidOf(c))) this.respawn(c);
    };
    supervise();
    this.supervisor ??= setInterval(supervise, 500);
    this.supervisor.unref();
  }

  private respawn(component: string): void {
    const argv = this.argv.get(component);
    if (!argv) throw new Error(`${component} was not stopped with stopApiServer`);
    const dir = path.join(this.workdir, 'clusters', this.name);
    const log = fs.openSync(path.join(dir, 'logs', `${component}.log`), 'a');
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    fs.closeSync(log);
    // kwokctl stops what its pid files name: keep them true so delete() ends these processes.
    fs.writeFileSync(this.pidFile(component), String(child.pid));
  }

  private ctl(...args: string[]): void {
    execFileSync(`${this.bin}/kwokctl`, [...args, '--name', this.name], {
      env: { ...process.env, KWOK_WORKDIR: this.workdir, PATH: `${this.bin}:${process.env.PATH}` },
      stdio: 'ignore',
    });
  }

  /** Stops every component: the API server goes away, etcd keeps the data. */
  stop(): void {
    this.ctl('stop', 'cluster');
  }

  start(): void {
    this.ctl('start', 'cluster', '--wait', '120s');
  }

  delete(): void {
    clearInterval(this.supervisor);
    try {
      this.ctl('delete', 'cluster');
    } finally {
      fs.rmSync(this.workdir, { recursive: true, force: true });
    }
  }
}

/**
 * A regions file (config/regions.yaml's shape, as JSON) for private regions: every pair 20 ms
 * apart, 2 ms within a region. Returns its path.
 */
export function writeRegionsFile(dir: string, regions: string[]): string {
  const file = path.join(dir, 'regions.json');
  const latencyMs = Object.fromEntries(
    regions.map((a) => [a, Object.fromEntries(regions.map((b) => [b, a === b ? 2 : 20]))]),
  );
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, regions: regions.map((name) => ({ name })), latencyMs }),
  );
  return file;
}
