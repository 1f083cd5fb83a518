// The gateway's public gRPC JobService and its ERC-1271 sign-in, against the stack's Postgres,
// Kafka and anvil. The matchmaker and chain-indexer addresses lead nowhere: what must be refused
// is refused before anything is forwarded, and what passes reaches the forwarding step.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ContractFactory, JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { Pool } from 'pg';
import { commonV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, standInDeployment, waitUntil } from '@starminer/testing';
import { compile } from '../../../contracts/scripts/compile';
import { loadConfig } from '../src/config';
import { JobIndex } from '../src/infra/job-index';
import { gatewayService } from '../src/service-definition';
import {
  createApiKey,
  GrpcJobClient,
  signIn,
  siweMessage,
  verifySiwe,
} from './support/gateway-client';
import { publishStartedThenCancelled } from './support/job-events';

const DOMAIN = 'gateway-grpc.test';
const schema = `gwg_${randomUUID().slice(0, 8)}`;
/** The gateway's deployment: the job events it shows are its matchmaker's. */
const deployment = standInDeployment();
let svc: RunningService;
let base: string;
let rpc: GrpcJobClient;
let pool: Pool;

const sdTemplate = (parameters: unknown) => ({
  template: { name: 'stable-diffusion', version: '', parametersJson: JSON.stringify(parameters) },
});

beforeAll(async () => {
  const config = loadConfig({
    ...stackEnv(),
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: schema,
    CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
    DEPLOYMENTS_FILE: deployment.file,
    REGIONS_FILE: requireStackVar('REGIONS_FILE'),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    GATEWAY_WATCH_GROUP: `gw-watch-${schema}`,
    SIWE_DOMAIN: DOMAIN,
    RATE_SUBMIT_BURST: '3',
    RATE_SUBMIT_PER_MINUTE: '1',
    // Nothing listens there.
    MATCHMAKER_GRPC_URL: '127.0.0.1:1',
    CHAIN_INDEXER_GRPC_URL: '127.0.0.1:1',
    LOG_LEVEL: 'warn',
  });
  svc = await startService(
    gatewayService,
    config,
    new JsonLogger({ service: 'gateway', level: 'warn' }),
  );
  base = `http://127.0.0.1:${svc.httpPort}`;
  rpc = new GrpcJobClient(`127.0.0.1:${svc.grpcPort}`);
  pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  await waitUntil('the gateway to be ready', async () =>
    (await fetch(`${base}/readyz`)).status === 200 ? true : undefined,
  );
});

afterAll(async () => {
  rpc?.close();
  await svc?.stop('test done');
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool?.end();
});

describe('gRPC JobService', () => {
  it('lists and describes templates without credentials; an unknown one is NOT_FOUND', async () => {
    const list = await rpc.call('listTemplates', {});
    if (!list.ok) throw new Error(list.details);
    expect(list.res.templates.map((t) => t.name)).toEqual(
      expect.arrayContaining(['stable-diffusion', 'llm-finetune', 'unreal-render']),
    );
    expect(list.res.templates.find((t) => t.name === 'llm-finetune')?.jobClass).toBe(
      commonV1.JobClass.JOB_CLASS_TRAINING,
    );
    const one = await rpc.call('describeTemplate', { name: 'stable-diffusion' });
    if (!one.ok) throw new Error(one.details);
    expect(JSON.parse(one.res.parametersSchemaJson)).toHaveProperty('prompt');
    const none = await rpc.call('describeTemplate', { name: 'no-such-template' });
    expect(none).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
    expect(!none.ok && none.body?.error.code).toBe('NOT_FOUND');
  });

  it('refuses calls without valid credentials with UNAUTHENTICATED and the error body in trailers', async () => {
    for (const creds of [{}, { apiKey: 'smk_nope' }, { token: 'sms_nope' }]) {
      const r = await rpc.call('listJobs', {}, creds);
      expect(r).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
      expect(!r.ok && r.body?.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('returns field problems for bad requests, scope refusals, and 429-like RESOURCE_EXHAUSTED', async () => {
    const token = await signIn(base, DOMAIN, Wallet.createRandom());
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['no spec nor template', {}, 'spec'],
      [
        'parameters not JSON',
        { template: { name: 'stable-diffusion', parametersJson: '{' } },
        'template.parametersJson',
      ],
      ['missing prompt', sdTemplate({}), 'template.parameters.prompt'],
      [
        'spec without job class',
        {
          spec: {
            workload: { image: 'a/b:1', command: [], args: [], env: {} },
            gpu: { product: 'NVIDIA-H100-80GB-HBM3', count: 1, minVramMib: 0 },
            jobClass: 0,
            maxDurationSeconds: 60,
            regionPreference: [],
          },
        },
        'spec.jobClass',
      ],
      [
        'unknown region',
        { ...sdTemplate({ prompt: 'x' }), regionPreference: ['Mars_1'] },
        'regionPreference[0]',
      ],
      [
        'bad idempotency key',
        { ...sdTemplate({ prompt: 'x' }), idempotencyKey: 'a b' },
        'idempotencyKey',
      ],
    ];
    for (const [what, req, field] of bad) {
      const r = await rpc.call('submitJob', req, { token });
      expect([what, r.ok ? 'ok' : r.code]).toEqual([what, grpc.status.INVALID_ARGUMENT]);
      expect([what, !r.ok && r.body?.error.fields.map((f) => f.field)]).toEqual([
        what,
        expect.arrayContaining([field]),
      ]);
    }
    const page = await rpc.call('listJobs', { pageSize: 500 }, { token });
    expect(!page.ok && page.body?.error.fields[0]?.field).toBe('pageSize');
    const quote = await rpc.call('quote', {}, { token });
    expect(!quote.ok && quote.body?.error.fields[0]?.field).toBe('job');

    const readOnly = await createApiKey(base, token, ['jobs:read']);
    const denied = await rpc.call('getBalances', {}, { apiKey: readOnly });
    expect(denied).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED });
    const deniedSubmit = await rpc.call('submitJob', sdTemplate({ prompt: 'x' }), {
      apiKey: readOnly,
    });
    expect(!deniedSubmit.ok && deniedSubmit.body?.error.code).toBe('PERMISSION_DENIED');

    // Valid submissions take a token each and then find no matchmaker; the fourth finds none left.
    const codes: grpc.status[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 4; i++) {
      const r = await rpc.call('submitJob', sdTemplate({ prompt: 'x' }), { token });
      codes.push(r.ok ? grpc.status.OK : r.code);
      if (!r.ok && r.code === grpc.status.RESOURCE_EXHAUSTED) retryAfter = r.retryAfter;
    }
    expect(codes).toEqual([
      grpc.status.UNAVAILABLE,
      grpc.status.UNAVAILABLE,
      grpc.status.UNAVAILABLE,
      grpc.status.RESOURCE_EXHAUSTED,
    ]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const indexed = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".jobs`);
    expect(indexed.rows[0].n).toBe(0);
  });

  it("keeps tenants apart (NOT_FOUND for B on A's job) and streams A's job over WatchJob", async () => {
    const a = Wallet.createRandom();
    const [tokenA, tokenB] = [
      await signIn(base, DOMAIN, a),
      await signIn(base, DOMAIN, Wallet.createRandom()),
    ];
    const jobId = randomUUID();
    await new JobIndex(pool, schema).record(
      jobId,
      a.address.toLowerCase(),
      'stable-diffusion',
      'k',
    );
    for (const method of ['getJob', 'cancelJob'] as const) {
      const r = await rpc.call(method, { jobId }, { token: tokenB });
      expect([method, r.ok ? 'ok' : r.code]).toEqual([method, grpc.status.NOT_FOUND]);
    }
    const watchedByB = await rpc.watch(jobId, { token: tokenB });
    expect(watchedByB.messages).toEqual([]);
    expect(watchedByB.error).toMatchObject({ code: grpc.status.NOT_FOUND });
    // A owns it: the call passes authorization and reaches the (absent) matchmaker.
    expect(await rpc.call('getJob', { jobId }, { token: tokenA })).toMatchObject({
      ok: false,
      code: grpc.status.UNAVAILABLE,
    });

    // The stream is open once the snapshot arrived: events published from now on reach it.
    let opened!: () => void;
    const snapshot = new Promise<void>((resolve) => (opened = resolve));
    const watching = rpc.watch(jobId, { token: tokenA }, { onMessage: () => opened() });
    await snapshot;
    await publishStartedThenCancelled(
      pool,
      jobId,
      a.address.toLowerCase(),
      deployment.as('matchmaker').origin,
    );
    const { messages, error } = await watching;
    expect(error).toBeUndefined();
    expect(
      messages.map((m) => [
        m.eventType,
        commonV1.jobStateToJSON(m.state),
        m.progressPercent,
        m.final,
      ]),
    ).toEqual([
      ['Snapshot', 'JOB_STATE_SUBMITTED', expect.any(Number), false],
      ['JobStarted', 'JOB_STATE_RUNNING', 60, false],
      ['JobCancelled', 'JOB_STATE_CANCELLED', 100, true],
    ]);
  });
});

describe('Sign-In with Ethereum from an ERC-1271 contract wallet', () => {
  const [artifact] = compile(['../services/gateway/test/solidity/OwnedWallet1271.sol']);

  it("signs in when the wallet's isValidSignature accepts, and refuses another key's signature", async () => {
    const chain = new JsonRpcProvider(requireStackVar('CHAIN_RPC_URL'), undefined, {
      cacheTimeout: -1,
    });
    try {
      // A fresh deployer funded with test ETH only: nothing else on the shared chain is touched.
      const deployer = new Wallet(Wallet.createRandom().privateKey, chain);
      await chain.send('anvil_setBalance', [
        deployer.address,
        `0x${parseEther('10').toString(16)}`,
      ]);
      const owner = Wallet.createRandom();
      const factory = new ContractFactory(artifact!.abi as never, artifact!.bytecode, deployer);
      const wallet = await (await factory.deploy(owner.address)).waitForDeployment();
      const address = await wallet.getAddress();

      const message = await siweMessage(base, DOMAIN, address);
      const res = await verifySiwe(base, message, await owner.signMessage(message));
      expect(res.status).toBe(200);
      const session = (await res.json()) as { token: string; address: string };
      expect(session.address).toBe(address);
      const keys = await fetch(`${base}/v1/api-keys`, {
        headers: { authorization: `Bearer ${session.token}` },
      });
      expect(keys.status).toBe(200);

      const stranger = Wallet.createRandom();
      const other = await siweMessage(base, DOMAIN, address);
      const refused = await verifySiwe(base, other, await stranger.signMessage(other));
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        'signature does not match',
      );
      // An address without code gets no ERC-1271 fallback: only its own key signs for it.
      const eoa = Wallet.createRandom();
      const third = await siweMessage(base, DOMAIN, eoa.address);
      expect((await verifySiwe(base, third, await owner.signMessage(third))).status).toBe(401);
    } finally {
      chain.destroy();
    }
  });
});
