import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../../..');

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

/**
 * A private kwokctl control plane (binary runtime, the stack's cached binaries) in its own
 * KWOK_WORKDIR, for tests that stop the API server or need node status in their own hands
 * (`kwok: false` runs no kwok controller: nothing heartbeats or heals the nodes).
 */
export class PrivateCluster {
  private constructor(
    readonly name: string,
    readonly workdir: string,
    readonly kubeconfig: string,
    private readonly bin: string,
  ) {}

  static async create(opts: { kwok: boolean; scheduler?: boolean }): Promise<PrivateCluster> {
    const bin = k8sBinDir();
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-kwok-'));
    const name = `reg-${path
      .basename(workdir)
      .slice(-6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    const disable = [
      ...(opts.kwok ? [] : ['kwok-controller']),
      ...(opts.scheduler ? [] : ['kube-scheduler']),
    ];
    const port = await freePort();
    execFileSync(
      `${bin}/kwokctl`,
      [
        'create',
        'cluster',
        '--name',
        name,
        '--runtime',
        'binary',
        '--kube-apiserver-port',
        String(port),
        '--etcd-binary',
        `${bin}/etcd`,
        '--kube-apiserver-binary',
        `${bin}/kube-apiserver`,
        '--kube-controller-manager-binary',
        `${bin}/kube-controller-manager`,
        '--kube-scheduler-binary',
        `${bin}/kube-scheduler`,
        '--kwok-controller-binary',
        `${bin}/kwok`,
        '--kubeconfig',
        path.join(workdir, 'merged.yaml'),
        '--disable-qps-limits',
        '--wait',
        '120s',
        ...(disable.length ? ['--disable', disable.join(',')] : []),
      ],
      {
        env: { ...process.env, KWOK_WORKDIR: workdir, PATH: `${bin}:${process.env.PATH}` },
        stdio: 'ignore',
      },
    );
    return new PrivateCluster(
      name,
      workdir,
      path.join(workdir, 'clusters', name, 'kubeconfig.yaml'),
      bin,
    );
  }

  private ctl(...args: string[]): void {
    execFileSync(`${this.bin}/kwokctl`, [...args, '--name', this.name], {
      env: { ...process.env, KWOK_WORKDIR: this.workdir, PATH: `${this.bin}:${process.env.PATH}` },
      stdio: 'ignore',
    });
  }

  /** Stops every component (the API server goes away; etcd keeps the data). */
  stop(): void {
    this.ctl('stop', 'cluster');
  }

  start(): void {
    this.ctl('start', 'cluster', '--wait', '120s');
  }

  delete(): void {
    try {
      this.ctl('delete', 'cluster');
    } finally {
      fs.rmSync(this.workdir, { recursive: true, force: true });
    }
  }
}
