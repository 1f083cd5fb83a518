import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { SiweMessage } from 'siwe';
import { commonV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, standInDeployment, waitUntil } from '@starminer/testing';
import { loadConfig } from '../src/config';
import { gatewayService } from '../src/service-definition';
import { JobIndex } from '../src/infra/job-index';
import { GrpcJobClient, refusedEvents, SseReader } from './support/gateway-client';
import {
  publishJobEvents,
  publishStartedThenCancelled,
  startedThenCancelled,
} from './support/job-events';

const DOMAIN = 'gateway.test';
const schema = `gw_${randomUUID().slice(0, 8)}`;
const watchGroup = `gw-watch-${schema}`;
/** The gateway's deployment: the job events it shows are its matchmaker's. */
const deployment = standInDeployment();
const matchmaker = deployment.as('matchmaker').origin;
let svc: RunningService;
let base: string;
let pool: Pool;

const http = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: {
      ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as object),
    },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });

async function siweMessage(
  wallet: { address: string },
  over: Partial<Record<string, unknown>> = {},
) {
  const { nonce } = (await (await http('/v1/auth/siwe/nonce', { method: 'POST' })).json()) as {
    nonce: string;
  };
  return new SiweMessage({
    domain: DOMAIN,
    address: wallet.address,
    uri: `https://${DOMAIN}`,
    version: '1',
    chainId: 31337,
    nonce,
    issuedAt: new Date().toISOString(),
    statement: 'Sign in to StarMiner',
    ...over,
  }).prepareMessage();
}

async function signIn(wallet: {
  address: string;
  signMessage(m: string): Promise<string>;
}): Promise<string> {
  const message = await siweMessage(wallet);
  const res = await http('/v1/auth/siwe/verify', {
    method: 'POST',
    json: { message, signature: await wallet.signMessage(message) },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

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
    GATEWAY_WATCH_GROUP: watchGroup,
    SIWE_DOMAIN: DOMAIN,
    RATE_SUBMIT_BURST: '3',
    RATE_SUBMIT_PER_MINUTE: '1',
    // Nothing listens there: the gateway must refuse bad input before it forwards anything.
    MATCHMAKER_GRPC_URL: '127.0.0.1:1',
    LOG_LEVEL: 'warn',
  });
  svc = await startService(
    gatewayService,
    config,
    new JsonLogger({ service: 'gateway', level: 'warn' }),
  );
  base = `http://127.0.0.1:${svc.httpPort}`;
  pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  // Ready means the job watcher has joined its group: events published from now on reach it.
  await waitUntil('the gateway to be ready', async () =>
    (await fetch(`${base}/readyz`)).status === 200 ? true : undefined,
  );
});

afterAll(async () => {
  await svc?.stop('test done');
  await pool?.end();
});

describe('API keys', () => {
  it('create, use, scope denied, revoke takes effect at once', async () => {
    const token = await signIn(Wallet.createRandom());
    const auth = { authorization: `Bearer ${token}` };
    const created = await http('/v1/api-keys', {
      method: 'POST',
      headers: auth,
      json: { name: 'ci', scopes: ['jobs:read'] },
    });
    expect(created.status).toBe(201);
    const { key, keyId } = (await created.json()) as { key: string; keyId: string };
    expect(key).toMatch(/^smk_[0-9a-f]{12}_/);
    const stored = await pool.query(
      `SELECT secret_sha256 FROM "${schema}".api_keys WHERE key_id = $1`,
      [keyId],
    );
    expect(stored.rows[0].secret_sha256.toString('utf8')).not.toContain(key.slice(18));

    expect((await http('/v1/jobs?state=BOGUS', { headers: { 'x-api-key': key } })).status).toBe(
      400,
    );
    const denied = await http('/v1/balances', { headers: { 'x-api-key': key } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe(
      'PERMISSION_DENIED',
    );

    expect((await http(`/v1/api-keys/${keyId}`, { method: 'DELETE', headers: auth })).status).toBe(
      204,
    );
    const after = await http('/v1/jobs?state=BOGUS', { headers: { 'x-api-key': key } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe(
      'UNAUTHENTICATED',
    );
  });
});

describe('Sign-In with Ethereum', () => {
  const wallet = Wallet.createRandom();
  const verify = async (
    message: string,
    signer: { signMessage(m: string): Promise<string> } = wallet,
  ) =>
    http('/v1/auth/siwe/verify', {
      method: 'POST',
      json: { message, signature: await signer.signMessage(message) },
    });

  it('opens a session for a valid message and refuses its replay', async () => {
    const message = await siweMessage(wallet);
    expect((await verify(message)).status).toBe(200);
    const replay = await verify(message);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(
      /nonce/,
    );
  });

  it.each([
    ['wrong domain', { domain: 'evil.example' }, /domain/],
    ['wrong chain id', { chainId: 1 }, /chain id/],
    ['expired', { expirationTime: new Date(Date.now() - 60_000).toISOString() }, /expired/],
  ])('refuses a message with %s', async (_name, over, reason) => {
    const res = await verify(await siweMessage(wallet, over));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(reason);
  });

  it('refuses a signature by another wallet', async () => {
    expect((await verify(await siweMessage(wallet), Wallet.createRandom())).status).toBe(401);
  });
});

describe('refused requests create nothing', () => {
  let key: string;
  let token: string;
  let tenant: string;
  const sd = (parameters: unknown) => ({ template: { name: 'stable-diffusion', parameters } });
  const spec = {
    workload: { image: 'ghcr.io/a/b:1' },
    gpu: { count: 1, minVramMib: 16384 },
    jobClass: 'inference',
    maxDurationSeconds: 600,
  };

  beforeAll(async () => {
    const w = Wallet.createRandom();
    tenant = w.address.toLowerCase();
    token = await signIn(w);
    const res = await http('/v1/api-keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      json: { name: 'w', scopes: ['jobs:write', 'jobs:read'] },
    });
    key = ((await res.json()) as { key: string }).key;
  });

  const cases: Array<[string, number, string, () => RequestInit & { json?: unknown }]> = [
    ['no credentials', 401, 'UNAUTHENTICATED', () => ({ json: sd({ prompt: 'x' }) })],
    [
      'malformed API key',
      401,
      'UNAUTHENTICATED',
      () => ({ headers: { 'x-api-key': 'nope' }, json: sd({ prompt: 'x' }) }),
    ],
    [
      'unknown API key',
      401,
      'UNAUTHENTICATED',
      () => ({
        headers: { 'x-api-key': `smk_000000000000_${'a'.repeat(43)}` },
        json: sd({ prompt: 'x' }),
      }),
    ],
    [
      'bad bearer',
      401,
      'UNAUTHENTICATED',
      () => ({ headers: { authorization: 'Bearer sms_nope' }, json: sd({ prompt: 'x' }) }),
    ],
    [
      'not JSON',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: '{"template":',
      }),
    ],
    [
      'text body',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      () => ({ headers: { 'x-api-key': key, 'content-type': 'text/plain' }, body: 'hi' }),
    ],
    ['array body', 400, 'INVALID_REQUEST', () => ({ headers: { 'x-api-key': key }, json: [1] })],
    ['empty object', 400, 'INVALID_REQUEST', () => ({ headers: { 'x-api-key': key }, json: {} })],
    [
      'spec and template',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { spec, ...sd({ prompt: 'x' }) } }),
    ],
    [
      'unknown template',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { template: { name: 'nope' } } }),
    ],
    [
      'unknown template version',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: {
          template: { name: 'stable-diffusion', version: '9.0.0', parameters: { prompt: 'x' } },
        },
      }),
    ],
    [
      'missing prompt',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: sd({}) }),
    ],
    [
      'steps out of range',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: sd({ prompt: 'x', steps: 1000 }) }),
    ],
    [
      'bad resolution',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: sd({ prompt: 'x', resolution: '1x1' }) }),
    ],
    [
      'unknown parameter',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: sd({ prompt: 'x', seed: 4 }) }),
    ],
    [
      'finetune single GPU',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: {
          template: {
            name: 'llm-finetune',
            parameters: { baseModel: 'a/b', datasetUri: 's3://x', gpus: 1 },
          },
        },
      }),
    ],
    [
      'finetune bad dataset',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: {
          template: {
            name: 'llm-finetune',
            parameters: { baseModel: 'a/b', datasetUri: 'ftp://x' },
          },
        },
      }),
    ],
    [
      'render reversed range',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: {
          template: {
            name: 'unreal-render',
            parameters: { projectUri: 's3://p', frameStart: 9, frameEnd: 1 },
          },
        },
      }),
    ],
    [
      'bad urgency',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { ...sd({ prompt: 'x' }), urgency: 'asap' } }),
    ],
    [
      'bad region',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { ...sd({ prompt: 'x' }), regionPreference: ['Mars 1'] },
      }),
    ],
    [
      'fractional max price',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { ...sd({ prompt: 'x' }), maxPrice: '1.5' } }),
    ],
    [
      'numeric max price',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { ...sd({ prompt: 'x' }), maxPrice: 10 } }),
    ],
    [
      'interactive without RTT',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { ...sd({ prompt: 'x' }), latency: { mode: 'interactive', clientRegion: 'us-east' } },
      }),
    ],
    [
      'spec without image',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { spec: { ...spec, workload: {} } } }),
    ],
    [
      'spec zero GPUs',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { spec: { ...spec, gpu: { count: 0, minVramMib: 1 } } },
      }),
    ],
    [
      'spec no product nor memory',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { spec: { ...spec, gpu: { count: 1 } } } }),
    ],
    [
      'spec bad class',
      400,
      'INVALID_REQUEST',
      () => ({ headers: { 'x-api-key': key }, json: { spec: { ...spec, jobClass: 'mining' } } }),
    ],
    [
      'spec no duration',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { spec: { ...spec, maxDurationSeconds: undefined } },
      }),
    ],
    [
      'spec bad env name',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { spec: { ...spec, workload: { image: 'a/b', env: { '1X': 'y' } } } },
      }),
    ],
    [
      'bad idempotency key',
      400,
      'INVALID_REQUEST',
      () => ({
        headers: { 'x-api-key': key },
        json: { ...sd({ prompt: 'x' }), idempotencyKey: 'a b' },
      }),
    ],
  ];

  it.each(cases)('%s -> %i %s', async (_name, status, code, init) => {
    const res = await http('/v1/jobs', { method: 'POST', ...init() });
    expect(res.status).toBe(status);
    const body = (await res.json()) as {
      error: { code: string; message: string; fields: Array<{ accepted: string }> };
    };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
    if (status === 400 && code === 'INVALID_REQUEST')
      expect(body.error.fields[0]?.accepted).toBeTruthy();
  });

  it('created no job for any of them', async () => {
    expect(await new JobIndex(pool, schema).countOf(tenant)).toBe(0);
  });

  it('answers 429 with Retry-After once the submit bucket is empty', async () => {
    // A valid request: it takes a token, then fails downstream (no matchmaker listens here).
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await http('/v1/jobs', {
        method: 'POST',
        headers: { 'x-api-key': key },
        json: sd({ prompt: 'x' }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 3)).toEqual([503, 503, 503]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('tenant isolation and watching', () => {
  it("tenant B gets 404 on every endpoint for tenant A's job; A watches its job's events over SSE", async () => {
    const a = Wallet.createRandom();
    const [tokenA, tokenB] = [await signIn(a), await signIn(Wallet.createRandom())];
    const jobId = randomUUID();
    await new JobIndex(pool, schema).record(
      jobId,
      a.address.toLowerCase(),
      'stable-diffusion',
      'k',
    );
    const asB = { authorization: `Bearer ${tokenB}` };
    for (const [method, path] of [
      ['GET', `/v1/jobs/${jobId}`],
      ['POST', `/v1/jobs/${jobId}/cancel`],
      ['GET', `/v1/jobs/${jobId}/events`],
    ] as const) {
      const res = await http(path, { method, headers: asB });
      expect([path, res.status]).toEqual([path, 404]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }

    const sse = await http(`/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${tokenA}` },
    });
    expect(sse.status).toBe(200);
    const stream = new SseReader(sse);
    const [first] = await stream.until('the snapshot', (m) => m.length >= 1);
    expect(first!.eventType).toBe('Snapshot');

    await publishStartedThenCancelled(pool, jobId, a.address.toLowerCase(), matchmaker);
    const messages = await stream.until('the final event', (m) => m.some((x) => x.final));
    expect(messages.map((m) => [m.eventType, m.state, m.progressPercent, m.final])).toEqual([
      ['Snapshot', expect.any(String), expect.any(Number), false],
      ['JobStarted', 'RUNNING', 60, false],
      ['JobCancelled', 'CANCELLED', 100, true],
    ]);
  });

  it("shows only its deployment's matchmaker's events: another deployment's or producer's events for the job change no watch, and are counted as refused", async () => {
    const a = Wallet.createRandom();
    const token = await signIn(a);
    const tenant = a.address.toLowerCase();
    const jobId = randomUUID();
    await new JobIndex(pool, schema).record(jobId, tenant, 'stable-diffusion', 'forged');
    const refusedBefore = await refusedEvents(base, watchGroup);

    // Both watches open (their snapshots seen) before anything is published.
    const sse = await http(`/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(sse.status).toBe(200);
    const stream = new SseReader(sse);
    const rpc = new GrpcJobClient(`127.0.0.1:${svc.grpcPort}`);
    try {
      let opened!: () => void;
      const snapshot = new Promise<void>((resolve) => (opened = resolve));
      const watching = rpc.watch(jobId, { token }, { onMessage: () => opened() });
      await snapshot;
      await stream.until('the snapshot', (m) => m.length >= 1);

      // The same job id, from another deployment: a final JobCancelled that would end the watch.
      const [, cancelled] = startedThenCancelled(jobId, tenant);
      await publishJobEvents(pool, standInDeployment().as('matchmaker').origin, [cancelled!]);
      // This deployment, but not published by the matchmaker: a JobSucceeded.
      const succeeded = {
        aggregateId: jobId,
        aggregateVersion: 9,
        event: {
          type: 'JobSucceeded' as const,
          jobId,
          clientId: tenant,
          placement: undefined,
          usage: undefined,
        },
      };
      await publishJobEvents(pool, deployment.as('pricing').origin, [succeeded]);
      // Then the real ones, after them on the job's partition.
      await publishStartedThenCancelled(pool, jobId, tenant, matchmaker);

      const expected = [
        ['Snapshot', 'SUBMITTED', 5, false],
        ['JobStarted', 'RUNNING', 60, false],
        ['JobCancelled', 'CANCELLED', 100, true],
      ];
      const { messages, error } = await watching;
      expect(error).toBeUndefined();
      expect(
        messages.map((m) => [
          m.eventType,
          commonV1.jobStateToJSON(m.state).replace('JOB_STATE_', ''),
          m.progressPercent,
          m.final,
        ]),
      ).toEqual(expected);
      const seen = await stream.until('the final event', (m) => m.some((x) => x.final));
      expect(seen.map((m) => [m.eventType, m.state, m.progressPercent, m.final])).toEqual(expected);

      // Each forged event counted once, by reason, on the watcher's group.
      const want = {
        'starminer.job.v1/foreign_deployment': 1,
        'starminer.job.v1/wrong_producer': 1,
      };
      const delta = async () => {
        const now = await refusedEvents(base, watchGroup);
        return Object.fromEntries(
          Object.entries(now)
            .map(([k, v]) => [k, v - (refusedBefore[k] ?? 0)] as const)
            .filter(([, v]) => v !== 0),
        );
      };
      const counted = await waitUntil('the refused events counted', async () => {
        const d = await delta();
        return Object.entries(want).every(([k, v]) => (d[k] ?? 0) >= v) ? d : undefined;
      });
      expect(counted).toEqual(want);
    } finally {
      rpc.close();
      await stream.cancel();
    }
  });
});
