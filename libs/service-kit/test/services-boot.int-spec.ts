// Every service, started as it runs in production (`node services/<name>/dist/main.js`), against
// the whole local stack (every endpoint of stack.env and a fresh contract deployment): health,
// readiness, metrics, gRPC health and reflection, JSON logs, schema creation, config errors,
// dependency outages and a graceful stop.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import {
  ServiceProcess,
  closedPort,
  deployFreshProtocol,
  httpGet,
  repoRoot,
  requireStackVar,
  stackEnv,
  waitUntil,
} from '@starminer/testing';
import { healthCheck, reflectedServices } from './support/grpc-probes';

interface ServiceCase {
  name: string;
  /** Readiness checks the service must report besides Postgres (it may report more). */
  extraChecks: string[];
  /** The singletons it runs under a lease, as /leases names them. */
  leases: string[];
}

const services: ServiceCase[] = [
  { name: 'gateway', extraChecks: [], leases: [] },
  { name: 'matchmaker', extraChecks: [], leases: ['match-loop', 'outbox-relay'] },
  {
    name: 'pricing',
    extraChecks: ['pricing-engine', 'event-consumer:pricing'],
    leases: ['price-ticker', 'outbox-relay'],
  },
  { name: 'registry', extraChecks: [], leases: ['outbox-relay'] },
  { name: 'reputation', extraChecks: [], leases: ['outbox-relay'] },
  { name: 'spillover', extraChecks: [], leases: ['routing-planner', 'outbox-relay'] },
  {
    name: 'chain-indexer',
    extraChecks: ['chain-rpc'],
    leases: ['chain-follower', 'outbox-relay', 'chain-signer'],
  },
];

// Every service gets the stack's endpoints, this file's Kafka namespace (stackEnv's
// KAFKA_TOPIC_PREFIX: each service creates the topics it needs there) and a contract set of its
// own, as deploy/local runs it.
let deploymentsFile = '';
const extraEnv = (): Record<string, string> => ({
  ...stackEnv(),
  DEPLOYMENTS_FILE: deploymentsFile,
  // Booting must not touch what other suites run on the shared clusters: the registry manages
  // no node (it would taint every node its fresh deployment does not know) and the matchmaker
  // reconciles a namespace of its own.
  NODE_LABEL_SELECTOR: 'starminer.io/services-boot-test',
  JOB_NAMESPACE: `services-boot-${process.pid}`,
});

const running: ServiceProcess[] = [];
function start(name: string, env: Record<string, string>): ServiceProcess {
  const p = new ServiceProcess(name, { HTTP_PORT: '0', GRPC_PORT: '0', ...env });
  running.push(p);
  return p;
}

beforeAll(async () => {
  const protocol = await deployFreshProtocol(requireStackVar('CHAIN_RPC_URL'));
  deploymentsFile = protocol.deploymentsFile;
  protocol.provider.destroy();
  // The test runs the compiled services; tsc -b is incremental, so this is quick when up to date.
  const projects = services.map((s) => path.join('services', s.name));
  execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-b', ...projects], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

describe.each(services)('$name', ({ name, extraChecks, leases }) => {
  const databaseUrl = () => requireStackVar('DATABASE_URL');

  it('boots, answers health, readiness, metrics, gRPC health and reflection, and stops on SIGTERM', async () => {
    const schema = `boot_${name.replace(/-/g, '_')}_${process.pid}`;
    const svc = start(name, {
      ...extraEnv(),
      DATABASE_URL: databaseUrl(),
      DATABASE_SCHEMA: schema,
    });
    const { httpPort, grpcPort } = await svc.started();

    expect(await httpGet(httpPort, '/healthz')).toMatchObject({ status: 200 });

    const ready = await waitUntil('readyz 200', async () => {
      const r = await httpGet(httpPort, '/readyz');
      return r.status === 200 ? r : undefined;
    });
    const body = JSON.parse(ready.body) as {
      ready: boolean;
      checks: { name: string; ok: boolean }[];
    };
    expect(body.ready).toBe(true);
    expect(body.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['postgres', ...extraChecks]),
    );
    expect(body.checks.every((c) => c.ok)).toBe(true);

    const metrics = await httpGet(httpPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE process_cpu_user_seconds_total counter');
    // Events a consumer refused as not of its deployment are counted by every service.
    expect(metrics.body).toContain('# TYPE starminer_events_refused_total counter');
    const readyzCount = metrics.body
      .split('\n')
      .find(
        (l) =>
          l.startsWith('http_request_duration_seconds_count{') && l.includes('route="/readyz"'),
      );
    expect(readyzCount).toContain(`service="${name}"`);

    // Alone, it holds every lease it runs under, and says so on /leases and in its metrics.
    const held = await waitUntil('every lease taken', async () => {
      const r = JSON.parse((await httpGet(httpPort, '/leases')).body) as {
        leases: { lease: string; leader: boolean; epoch: number }[];
      };
      return r.leases.length === leases.length && r.leases.every((l) => l.leader)
        ? r.leases
        : undefined;
    });
    expect(held.map((l) => l.lease).sort()).toEqual([...leases].sort());
    for (const l of held) expect([l.lease, l.epoch]).toEqual([l.lease, expect.any(Number)]);
    const scraped = (await httpGet(httpPort, '/metrics')).body;
    for (const lease of leases)
      expect(scraped).toContain(`starminer_lease_leader{lease="${lease}",service="${name}"} 1`);

    expect(
      await waitUntil('gRPC health SERVING', async () =>
        (await healthCheck(grpcPort)) === 'SERVING' ? true : undefined,
      ),
    ).toBe(true);
    expect(await reflectedServices(grpcPort)).toEqual(
      expect.arrayContaining(['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']),
    );

    // Its own Postgres schema was created on boot.
    const db = new Client({ connectionString: databaseUrl() });
    await db.connect();
    try {
      const found = await db.query(
        'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
        [schema],
      );
      expect(found.rowCount).toBe(1);

      svc.signal('SIGTERM');
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      expect(svc.alive()).toBe(false);
    } finally {
      // Only once the service is gone: dropping tables its consumers still write to deadlocks.
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    }
    const logs = svc.logs();
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['started', 'ready', 'stopping', 'stopped']),
    );
    for (const line of logs) {
      expect(line).toEqual(
        expect.objectContaining({
          level: expect.any(String),
          service: name,
          msg: expect.any(String),
        }),
      );
      expect(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time))).toBe(true);
    }
  });

  it('refuses a bad config, naming each bad variable and what it accepts, and exits non-zero', async () => {
    const svc = start(name, { ...extraEnv(), HTTP_PORT: 'abc', DATABASE_URL: 'nope' });
    const { code } = await svc.exited;
    expect(code).toBe(1);
    expect(svc.stderr).toContain(`invalid configuration for ${name}`);
    expect(svc.stderr).toContain('HTTP_PORT="abc": is not an integer; accepted: a TCP port');
    expect(svc.stderr).toContain(
      'DATABASE_URL="nope": is not a URL; accepted: a postgres:// or postgresql:// URL',
    );
    const [fatal] = svc.logs();
    expect(fatal).toMatchObject({ level: 'fatal', service: name, msg: 'invalid configuration' });
    expect((fatal?.issues as { name: string }[]).map((i) => i.name)).toEqual([
      'HTTP_PORT',
      'DATABASE_URL',
    ]);
  });

  it('is not ready (503, NOT_SERVING) while its database is unreachable', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/starminer`;
    const svc = start(name, { ...extraEnv(), DATABASE_URL: url });
    const { httpPort, grpcPort } = await svc.started();

    expect((await httpGet(httpPort, '/healthz')).status).toBe(200);
    const readyz = await httpGet(httpPort, '/readyz');
    expect(readyz.status).toBe(503);
    const body = JSON.parse(readyz.body) as {
      ready: boolean;
      failing: { name: string; error: string }[];
    };
    expect(body.ready).toBe(false);
    // Whatever else waits on the database fails with it; postgres itself must be named.
    const postgres = body.failing.find((f) => f.name === 'postgres');
    expect(postgres?.error).toMatch(/ECONNREFUSED/);
    expect(await healthCheck(grpcPort)).toBe('NOT_SERVING');

    svc.signal('SIGTERM');
    expect((await svc.exited).code).toBe(0);
  });
});

describe('chain-indexer without its EVM node', () => {
  it('is not ready and names chain-rpc', async () => {
    const svc = start('chain-indexer', {
      ...extraEnv(),
      CHAIN_RPC_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    const { httpPort, grpcPort } = await svc.started();
    const readyz = await httpGet(httpPort, '/readyz');
    expect(readyz.status).toBe(503);
    const body = JSON.parse(readyz.body) as { failing: { name: string }[] };
    expect(body.failing.map((f) => f.name)).toContain('chain-rpc');
    expect(await healthCheck(grpcPort)).toBe('NOT_SERVING');
    svc.signal('SIGTERM');
    expect((await svc.exited).code).toBe(0);
  });
});

describe('a port already in use', () => {
  it('makes the service exit 1 with a fatal log naming the cause', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const svc = start('gateway', { ...extraEnv(), HTTP_PORT: String(port) });
      expect((await svc.exited).code).toBe(1);
      const fatal = svc.logs().find((l) => l.level === 'fatal');
      expect(fatal).toMatchObject({ msg: 'service failed to start', err: { code: 'EADDRINUSE' } });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
