// The SDK against a real gateway (in process, on the stack's Postgres, Kafka and anvil), over both
// transports. The matchmaker and chain-indexer addresses lead nowhere: the SDK must surface the
// gateway's refusals as typed errors, sign in, manage keys, and follow a job's events that are
// published to Kafka the way the matchmaker publishes them.
import { randomUUID } from 'node:crypto';
import { Wallet, type Signer } from 'ethers';
import { Pool } from 'pg';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, standInDeployment, waitUntil } from '@starminer/testing';
import { loadConfig } from '../../services/gateway/src/config';
import { JobIndex } from '../../services/gateway/src/infra/job-index';
import { gatewayService } from '../../services/gateway/src/service-definition';
import { publishStartedThenCancelled } from '../../services/gateway/test/support/job-events';
import { SdkError, StarMinerClient, type JobState } from '../src';

const schema = `sdk_${randomUUID().slice(0, 8)}`;
/** The gateway's deployment: the job events it shows are its matchmaker's. */
const deployment = standInDeployment();
let svc: RunningService;
let pool: Pool;
let gatewayUrl: string;
let grpcAddress: string;

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
    SIWE_DOMAIN: 'sdk.test',
    // Nothing listens there.
    MATCHMAKER_GRPC_URL: '127.0.0.1:1',
    CHAIN_INDEXER_GRPC_URL: '127.0.0.1:1',
    PRICING_GRPC_URL: '127.0.0.1:1',
    LOG_LEVEL: 'warn',
  });
  svc = await startService(
    gatewayService,
    config,
    new JsonLogger({ service: 'gateway', level: 'warn' }),
  );
  gatewayUrl = `http://127.0.0.1:${svc.httpPort}`;
  grpcAddress = `127.0.0.1:${svc.grpcPort}`;
  pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  await waitUntil('the gateway to be ready', async () =>
    (await fetch(`${gatewayUrl}/readyz`)).status === 200 ? true : undefined,
  );
});

afterAll(async () => {
  await svc?.stop('test done');
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool?.end();
});

async function codeOf(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SdkError) return err;
    throw err;
  }
  throw new Error('expected an SdkError, the call succeeded');
}

describe.each(['rest', 'grpc'] as const)('SDK over %s', (transport) => {
  const connect = (o: { signer?: Signer; apiKey?: string } = {}) =>
    new StarMinerClient({ gatewayUrl, grpcAddress, transport, retries: 0, ...o });

  it('lists and describes templates without credentials', async () => {
    const c = connect();
    try {
      const names = (await c.templates()).map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(['stable-diffusion', 'llm-finetune', 'unreal-render']),
      );
      const sd = await c.template('stable-diffusion');
      expect(Object.keys(sd.parameters)).toContain('prompt');
      expect((await codeOf(c.template('no-such-template'))).code).toBe('NOT_FOUND');
    } finally {
      c.close();
    }
  });

  it('signs in with an ethers signer, creates an API key and maps refusals to typed errors', async () => {
    const wallet = Wallet.createRandom();
    const c = connect({ signer: wallet });
    try {
      expect((await codeOf(c.getJob(randomUUID()))).code).toBe('UNAUTHENTICATED');
      const session = await c.signIn();
      expect(session.address.toLowerCase()).toBe(wallet.address.toLowerCase());
      const key = await c.createApiKey(`sdk-${transport}`, ['jobs:read', 'jobs:write'], true);
      expect(key.key).toMatch(/^smk_/);

      const bad = await codeOf(
        c.submit({
          template: { name: 'stable-diffusion', parameters: { prompt: 'x', steps: 'many' } },
        }),
      );
      expect(bad.code).toBe('INVALID_REQUEST');
      expect(bad.fields.map((f) => f.field)).toEqual(['template.parameters.steps']);
      expect(bad.fields[0]!.accepted.length).toBeGreaterThan(0);
      const urgency = await codeOf(
        c.quote({
          template: { name: 'stable-diffusion', parameters: { prompt: 'x' } },
          urgency: 'soon' as never,
        }),
      );
      expect([urgency.code, urgency.fields.map((f) => f.field)]).toEqual([
        'INVALID_REQUEST',
        ['urgency'],
      ]);

      const down = await codeOf(
        c.submit({ template: { name: 'stable-diffusion', parameters: { prompt: 'a fox' } } }),
      );
      expect(down.code).toBe('DOWNSTREAM_UNAVAILABLE');
      expect(down.retryable).toBe(true);

      expect((await codeOf(c.getJob(randomUUID()))).code).toBe('NOT_FOUND');
      expect((await codeOf(c.balances())).code).toBe('PERMISSION_DENIED');
      expect((await codeOf(c.submit({ template: { name: 'x' } }, { fund: true }))).code).toBe(
        'INVALID_REQUEST',
      );
    } finally {
      c.close();
    }
    const revoked = connect({ apiKey: 'smk_000000000000_nope' });
    expect((await codeOf(revoked.getJob(randomUUID()))).code).toBe('UNAUTHENTICATED');
    revoked.close();
  });

  it('watches a job to its final state as an async iterator', async () => {
    const wallet = Wallet.createRandom();
    const c = connect({ signer: wallet });
    await c.signIn();
    const jobId = randomUUID();
    const tenant = wallet.address.toLowerCase();
    await new JobIndex(pool, schema).record(jobId, tenant, 'stable-diffusion', `k-${jobId}`);
    const seen: JobState[] = [];
    try {
      const it = c.watch(jobId, { pollIntervalMs: 1_000 });
      const first = await it.next();
      expect(first.value?.eventType).toBe('Snapshot');
      seen.push(first.value!.state);
      await publishStartedThenCancelled(pool, jobId, tenant, deployment.as('matchmaker').origin);
      for await (const e of it) seen.push(e.state);
    } finally {
      c.close();
    }
    expect(seen).toEqual(['SUBMITTED', 'RUNNING', 'CANCELLED']);
  });
});
