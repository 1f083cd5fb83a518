// The starminer command against a real gateway (in process, on the stack's Postgres, Kafka and
// anvil) whose matchmaker and pricing addresses lead nowhere: output formats, sign-in with a
// wallet key, API keys, and the exit code of every kind of refusal.
import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, standInDeployment, waitUntil } from '@starminer/testing';
import { loadConfig } from '../../services/gateway/src/config';
import { gatewayService } from '../../services/gateway/src/service-definition';
import { ExitCode } from '../src/errors';
import { type Io } from '../src/io';
import { run } from '../src/program';

const schema = `cli_${randomUUID().slice(0, 8)}`;
let svc: RunningService;
let gateway: string;

beforeAll(async () => {
  const config = loadConfig({
    ...stackEnv(),
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: schema,
    CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
    DEPLOYMENTS_FILE: standInDeployment().file,
    REGIONS_FILE: requireStackVar('REGIONS_FILE'),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    GATEWAY_WATCH_GROUP: `gw-watch-${schema}`,
    SIWE_DOMAIN: 'cli.test',
    MATCHMAKER_GRPC_URL: '127.0.0.1:1',
    PRICING_GRPC_URL: '127.0.0.1:1',
    CHAIN_INDEXER_GRPC_URL: '127.0.0.1:1',
    LOG_LEVEL: 'warn',
  });
  svc = await startService(
    gatewayService,
    config,
    new JsonLogger({ service: 'gateway', level: 'warn' }),
  );
  gateway = `http://127.0.0.1:${svc.httpPort}`;
  await waitUntil('the gateway to be ready', async () =>
    (await fetch(`${gateway}/readyz`)).status === 200 ? true : undefined,
  );
});

afterAll(async () => {
  await svc?.stop('test done');
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.end();
});

/** Runs the CLI in process; credentials come only from the flags given. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    isTTY: false,
    result: (json, data, human) =>
      io.out(json ? `${JSON.stringify(data)}\n` : `${human.join('\n')}\n`),
    exit: (c) => void (io.exitCode = c),
    exitCode: 0,
  };
  const saved = { ...process.env };
  for (const k of [
    'STARMINER_API_KEY',
    'STARMINER_PRIVATE_KEY',
    'STARMINER_GATEWAY_URL',
    'STARMINER_GRPC_ADDRESS',
  ])
    delete process.env[k];
  try {
    const withGateway = argv.includes('--gateway') ? argv : [...argv, '--gateway', gateway];
    const code = await run(withGateway, (s) => void (err += s), io);
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}

describe('starminer against the gateway', () => {
  it('lists templates as a table and as JSON without credentials', async () => {
    const table = await cli('templates');
    expect(table.code).toBe(ExitCode.ok);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+CLASS\s+TITLE$/);
    expect(table.out).toContain('unreal-render');
    const json = await cli('templates', 'stable-diffusion', '--json');
    expect(json.code).toBe(ExitCode.ok);
    expect(Object.keys(JSON.parse(json.out).template.parameters)).toContain('prompt');
    expect((await cli('templates', 'no-such')).code).toBe(ExitCode.notFound);
  });

  it('logs in with a wallet key, then refusals map to their exit codes', async () => {
    const key = Wallet.createRandom().privateKey;
    const login = await cli('login', '--private-key', key, '--json');
    expect(login.code).toBe(ExitCode.ok);
    const apiKey = JSON.parse(login.out).key as string;
    expect(apiKey).toMatch(/^smk_/);

    const notFound = await cli('jobs', randomUUID(), '--api-key', apiKey);
    expect([notFound.code, notFound.err]).toEqual([
      ExitCode.notFound,
      expect.stringMatching(/NOT_FOUND/),
    ]);

    const bad = await cli(
      'submit',
      '-t',
      'stable-diffusion',
      '-p',
      'steps=many',
      '--no-fund',
      '--api-key',
      apiKey,
    );
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.err).toContain('template.parameters.prompt');
    expect(bad.err).toContain('accepted:');

    expect((await cli('jobs', '--api-key', 'smk_000000000000_nope')).code).toBe(ExitCode.auth);
    expect((await cli('jobs')).code).toBe(ExitCode.auth);
    expect((await cli('submit', '-t', 'stable-diffusion', '-u', 'soon')).code).toBe(ExitCode.usage);
    expect((await cli('withdraw')).code).toBe(ExitCode.usage);
    expect((await cli('jobs', '--api-key', apiKey, '--gateway', 'http://127.0.0.1:1')).code).toBe(
      ExitCode.unavailable,
    );
  });
});
