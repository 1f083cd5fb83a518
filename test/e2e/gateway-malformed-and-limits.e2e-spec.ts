// The whole system (seven services from their builds, a fresh deployment): a table of malformed
// requests over REST and gRPC, each answered with a clear 4xx (a stable code, a message, and for
// bad fields which field, what was wrong and what is accepted) and none creating anything; then
// the submission rate limit: 429 with Retry-After over REST, RESOURCE_EXHAUSTED over gRPC.
import * as grpc from '@grpc/grpc-js';
import { Wallet } from 'ethers';
import {
  createApiKey,
  GrpcJobClient,
  restClient,
  sdJob,
  signIn,
  type ApiErrorBody,
  type Creds,
} from './support/clients';
import { startSystem, type System } from './support/system';

const BURST = 3;
let sys: System;
let rpc: GrpcJobClient;
let http: ReturnType<typeof restClient>;
let token: string;
let readOnlyKey: string;

beforeAll(async () => {
  // The client only signs in and submits: a fresh wallet, no chain transactions.
  sys = await startSystem({ clientAccounts: [], submitBurst: BURST, submitPerMinute: 1 });
  http = restClient(sys.gatewayUrl);
  rpc = new GrpcJobClient(sys.gatewayGrpc);
  token = await signIn(sys.gatewayUrl, sys.siweDomain, Wallet.createRandom());
  readOnlyKey = await createApiKey(sys.gatewayUrl, token, ['jobs:read']);
});

afterAll(async () => {
  rpc?.close();
  await sys?.stop();
});

const spec = {
  workload: { image: 'ghcr.io/acme/infer:1' },
  gpu: { count: 1, minVramMib: 16384 },
  jobClass: 'inference',
  maxDurationSeconds: 600,
};
const sd = (parameters: Record<string, unknown>) => ({
  template: { name: 'stable-diffusion', parameters },
});

interface RestCase {
  kind: 'rest';
  method?: string;
  path?: string;
  creds?: () => Creds;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}
interface GrpcCase {
  kind: 'grpc';
  method: 'submitJob' | 'quote' | 'listJobs';
  req: Record<string, unknown>;
  creds?: () => Creds;
}

const session = () => ({ token });
// [name, request, expected HTTP status, expected code, field named (for INVALID_REQUEST)]
const cases: Array<[string, RestCase | GrpcCase, number, string, string?]> = [
  ['no credentials', { kind: 'rest', creds: () => ({}), json: sdJob() }, 401, 'UNAUTHENTICATED'],
  [
    'malformed API key',
    { kind: 'rest', creds: () => ({ apiKey: 'smk_x' }), json: sdJob() },
    401,
    'UNAUTHENTICATED',
  ],
  [
    'unknown bearer',
    { kind: 'rest', creds: () => ({ token: 'sms_unknown' }), json: sdJob() },
    401,
    'UNAUTHENTICATED',
  ],
  [
    'key without jobs:write',
    { kind: 'rest', creds: () => ({ apiKey: readOnlyKey }), json: sdJob() },
    403,
    'PERMISSION_DENIED',
  ],
  [
    'body not JSON',
    { kind: 'rest', body: '{"template":', headers: { 'content-type': 'application/json' } },
    400,
    'INVALID_REQUEST',
    'body',
  ],
  [
    'text body',
    { kind: 'rest', body: 'run my job', headers: { 'content-type': 'text/plain' } },
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'content-type',
  ],
  [
    'body over 256 kB',
    { kind: 'rest', json: sd({ prompt: 'x'.repeat(300_000) }) },
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  ['array body', { kind: 'rest', json: [sdJob()] }, 400, 'INVALID_REQUEST', 'body'],
  ['empty object', { kind: 'rest', json: {} }, 400, 'INVALID_REQUEST', 'spec'],
  [
    'spec and template',
    { kind: 'rest', json: { spec, ...sd({ prompt: 'x' }) } },
    400,
    'INVALID_REQUEST',
    'template',
  ],
  [
    'unknown template',
    { kind: 'rest', json: { template: { name: 'mine-bitcoin', parameters: {} } } },
    400,
    'INVALID_REQUEST',
  ],
  [
    'missing prompt',
    { kind: 'rest', json: sd({}) },
    400,
    'INVALID_REQUEST',
    'template.parameters.prompt',
  ],
  [
    'steps out of range',
    { kind: 'rest', json: sd({ prompt: 'x', steps: 1000 }) },
    400,
    'INVALID_REQUEST',
    'template.parameters.steps',
  ],
  [
    'unknown parameter',
    { kind: 'rest', json: sd({ prompt: 'x', seed: 4 }) },
    400,
    'INVALID_REQUEST',
  ],
  [
    'bad urgency',
    { kind: 'rest', json: { ...sdJob(), urgency: 'asap' } },
    400,
    'INVALID_REQUEST',
    'urgency',
  ],
  [
    'bad region',
    { kind: 'rest', json: { ...sdJob(), regionPreference: ['Mars 1'] } },
    400,
    'INVALID_REQUEST',
    'regionPreference[0]',
  ],
  [
    'well-formed region the deployment does not serve',
    { kind: 'rest', json: { ...sdJob(), regionPreference: ['mars-1'] } },
    400,
    'INVALID_REQUEST',
    'regionPreference[0]',
  ],
  [
    'interactive from a region the deployment does not serve',
    {
      kind: 'rest',
      json: { ...sdJob(), latency: { mode: 'interactive', clientRegion: 'mars-1', maxRttMs: 50 } },
    },
    400,
    'INVALID_REQUEST',
    'latency.clientRegion',
  ],
  [
    'fractional max price',
    { kind: 'rest', json: { ...sdJob(), maxPrice: '1.5' } },
    400,
    'INVALID_REQUEST',
    'maxPrice',
  ],
  [
    'interactive without RTT',
    {
      kind: 'rest',
      json: { ...sdJob(), latency: { mode: 'interactive', clientRegion: 'eu-west' } },
    },
    400,
    'INVALID_REQUEST',
    'latency.maxRttMs',
  ],
  [
    'spec without image',
    { kind: 'rest', json: { spec: { ...spec, workload: {} } } },
    400,
    'INVALID_REQUEST',
    'spec.workload.image',
  ],
  [
    'spec zero GPUs',
    { kind: 'rest', json: { spec: { ...spec, gpu: { count: 0, minVramMib: 1 } } } },
    400,
    'INVALID_REQUEST',
    'spec.gpu.count',
  ],
  [
    'spec bad class',
    { kind: 'rest', json: { spec: { ...spec, jobClass: 'mining' } } },
    400,
    'INVALID_REQUEST',
    'spec.jobClass',
  ],
  [
    'spec no duration',
    { kind: 'rest', json: { spec: { ...spec, maxDurationSeconds: undefined } } },
    400,
    'INVALID_REQUEST',
    'spec.maxDurationSeconds',
  ],
  [
    'spec bad env name',
    { kind: 'rest', json: { spec: { ...spec, workload: { image: 'a/b', env: { '1X': 'y' } } } } },
    400,
    'INVALID_REQUEST',
    'spec.workload.env.1X',
  ],
  [
    'bad idempotency key',
    { kind: 'rest', json: { ...sdJob(), idempotencyKey: 'a b' } },
    400,
    'INVALID_REQUEST',
    'idempotencyKey',
  ],
  [
    'quote of a bad template',
    { kind: 'rest', path: '/v1/quotes', json: sd({ prompt: 'x', steps: -1 }) },
    400,
    'INVALID_REQUEST',
    'template.parameters.steps',
  ],
  [
    'list with a bad state',
    { kind: 'rest', method: 'GET', path: '/v1/jobs?state=BOGUS' },
    400,
    'INVALID_REQUEST',
    'state',
  ],
  [
    'list with page size 0',
    { kind: 'rest', method: 'GET', path: '/v1/jobs?pageSize=0' },
    400,
    'INVALID_REQUEST',
    'pageSize',
  ],
  [
    'API key from an API key',
    {
      kind: 'rest',
      path: '/v1/api-keys',
      creds: () => ({ apiKey: readOnlyKey }),
      json: { name: 'x', scopes: ['jobs:read'] },
    },
    403,
    'PERMISSION_DENIED',
  ],
  [
    'API key with a bad scope',
    { kind: 'rest', path: '/v1/api-keys', json: { name: 'x', scopes: ['root'] } },
    400,
    'INVALID_REQUEST',
    'scopes',
  ],
  [
    'gRPC without credentials',
    { kind: 'grpc', method: 'submitJob', req: {}, creds: () => ({}) },
    401,
    'UNAUTHENTICATED',
  ],
  [
    'gRPC neither spec nor template',
    { kind: 'grpc', method: 'submitJob', req: {} },
    400,
    'INVALID_REQUEST',
    'spec',
  ],
  [
    'gRPC parameters not JSON',
    {
      kind: 'grpc',
      method: 'submitJob',
      req: { template: { name: 'stable-diffusion', version: '', parametersJson: '{"prompt":' } },
    },
    400,
    'INVALID_REQUEST',
    'template.parametersJson',
  ],
  [
    'gRPC spec without GPU',
    {
      kind: 'grpc',
      method: 'submitJob',
      req: {
        spec: {
          workload: { image: 'a/b:1', command: [], args: [], env: {} },
          jobClass: 2,
          maxDurationSeconds: 60,
          regionPreference: [],
        },
      },
    },
    400,
    'INVALID_REQUEST',
    'spec.gpu',
  ],
  [
    'gRPC quote without a job',
    { kind: 'grpc', method: 'quote', req: {} },
    400,
    'INVALID_REQUEST',
    'job',
  ],
  [
    'gRPC list with page size 500',
    { kind: 'grpc', method: 'listJobs', req: { pageSize: 500 } },
    400,
    'INVALID_REQUEST',
    'pageSize',
  ],
];

const GRPC_OF: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
};

async function send(c: RestCase | GrpcCase): Promise<{ status: number; body: ApiErrorBody }> {
  const creds = c.creds?.() ?? session();
  if (c.kind === 'grpc') {
    const r = await rpc.call(c.method, c.req, creds);
    if (r.ok) return { status: 200, body: { error: { code: 'OK', message: '', fields: [] } } };
    const status = Number(Object.entries(GRPC_OF).find(([, s]) => s === r.code)?.[0] ?? 500);
    return { status, body: r.body! };
  }
  const res = await http(c.path ?? '/v1/jobs', {
    method: c.method ?? 'POST',
    creds,
    json: c.json,
    body: c.body,
    headers: c.headers,
  });
  return { status: res.status, body: (await res.json()) as ApiErrorBody };
}

describe('malformed requests', () => {
  it('has at least 25 of them', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  // Every row gets all five columns: jest hands a test fn with more parameters than its row
  // a done callback instead.
  const rows = cases.map(([n, c, st, code, field]) => [n, c, st, code, field ?? ''] as const);
  it.each(rows)('%s', async (_name, c, status, code, field) => {
    const { status: got, body } = await send(c);
    expect([got, body.error.code]).toEqual([status, code]);
    expect(body.error.message.length).toBeGreaterThan(10);
    if (field) {
      const problem = body.error.fields.find((f) => f.field === field);
      expect(problem).toEqual({
        field,
        problem: expect.any(String),
        accepted: expect.stringMatching(/\S/),
      });
    }
  });

  it('created nothing: no job reached the matchmaker and none is listed', async () => {
    expect(await sys.matchmakerJobCount()).toBe(0);
    const list = (await (await http('/v1/jobs', { creds: session() })).json()) as {
      jobs: unknown[];
    };
    expect(list.jobs).toEqual([]);
  });
});

describe('rate limits', () => {
  it('spent no token on refused requests; then 429 with Retry-After and RESOURCE_EXHAUSTED', async () => {
    // The burst is intact after every refusal above: BURST valid submissions are accepted.
    const statuses: number[] = [];
    for (let i = 0; i < BURST + 1; i++) {
      const res = await http('/v1/jobs', { method: 'POST', creds: session(), json: sdJob() });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(((await res.json()) as ApiErrorBody).error.code).toBe('RATE_LIMITED');
      } else await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array<number>(BURST).fill(201), 429]);
    const viaGrpc = await rpc.call(
      'submitJob',
      { template: { name: 'stable-diffusion', version: '', parametersJson: '{"prompt":"x"}' } },
      session(),
    );
    expect(viaGrpc).toMatchObject({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED });
    expect(!viaGrpc.ok && Number(viaGrpc.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another tenant has buckets of its own.
    const other = await signIn(sys.gatewayUrl, sys.siweDomain, Wallet.createRandom());
    const res = await http('/v1/jobs', { method: 'POST', creds: { token: other }, json: sdJob() });
    expect(res.status).toBe(201);
    expect(await sys.matchmakerJobCount()).toBe(BURST + 1);
  });
});
