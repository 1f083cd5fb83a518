// The built service (`node services/chain-indexer/dist/main.js`) against a private anvil, the
// stack's Postgres and Kafka: it becomes ready, mirrors an escrow, and the query script answers
// GetEscrow, GetStake, GetProvider, GetBalances and paged token-flow history over gRPC; its chain
// events reach the test file's Kafka namespace stamped with its deployment.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDeployments } from '@starminer/chain';
import {
  decodeEnvelope,
  deploymentIdOf,
  type EventEnvelope,
  silentLogger,
  starminerRegistry,
  Topics,
} from '@starminer/eventing';
import {
  stackEnv,
  testBus,
  waitUntil,
  ServiceProcess,
  httpGet,
  repoRoot,
} from '@starminer/testing';
import {
  addressOf,
  CLIENT_INDEXES,
  escrowActivity,
  headNumber,
  privateChain,
  PROVIDER_INDEX,
  type Fixture,
} from './support/chain';
import { dropSchema, newPool, uniqueName } from './support/indexer';

function query(grpcPort: number, ...args: string[]): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    [
      path.join(repoRoot, 'services/chain-indexer/scripts/query.js'),
      ...args,
      '--addr',
      `127.0.0.1:${grpcPort}`,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as Record<string, unknown>;
}

describe('the chain-indexer service', () => {
  let fx: Fixture;
  let svc: ServiceProcess | undefined;
  const schema = uniqueName('ci_service');

  beforeAll(async () => {
    execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-b', 'services/chain-indexer'], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    fx = await privateChain();
  });

  afterAll(async () => {
    if (svc?.alive()) {
      svc.signal('SIGTERM');
      await svc.exited;
    }
    const pool = newPool();
    await dropSchema(pool, schema);
    await pool.end();
    await fx.chain.stop();
  });

  it('serves the mirror over gRPC', async () => {
    const { jobIds } = await escrowActivity(fx, { jobs: 30, tag: 'service', txsPerBlock: 10 });
    const head = await headNumber(fx.chain);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-svc-')), 'deployments.json');
    writeDeployments(file, fx.deployments);
    // The stack's Postgres and Kafka (in this file's namespace), the private chain and its contracts.
    svc = new ServiceProcess('chain-indexer', {
      ...stackEnv(),
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      DATABASE_SCHEMA: schema,
      CHAIN_RPC_URL: fx.chain.url,
      DEPLOYMENTS_FILE: file,
      CHAIN_CONFIRMATIONS: '0',
      CHAIN_POLL_INTERVAL_MS: '100',
      SETTLEMENT_CONSUMER_GROUP: uniqueName('ci-service-settle'),
    });
    const { httpPort, grpcPort } = await svc.started();
    const ready = await waitUntil('readyz 200', async () => {
      const r = await httpGet(httpPort, '/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(ready.body).checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['postgres', 'chain-rpc', 'chain-follower']),
    );

    const settled = jobIds[0]!;
    let lastQueryError = '';
    // Wait for the mirror to reach the head of all the activity, not only this escrow: the
    // provider's flows and the balances below depend on every escrow being closed in the mirror.
    const escrow = await waitUntil('escrow mirrored, cursor at the head', () => {
      try {
        const r = query(grpcPort, 'escrow', settled) as {
          escrow: { status: string };
          cursor: { blockNumber: string };
        };
        return r.escrow.status === 'ESCROW_STATUS_RELEASED' && Number(r.cursor.blockNumber) >= head
          ? r
          : undefined;
      } catch (err) {
        lastQueryError = (err as Error).message;
        return undefined;
      }
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last query error: ${lastQueryError}`);
    });
    expect(escrow).toMatchObject({
      escrow: {
        chainJobId: settled,
        gpuSeconds: '100',
        provider: addressOf(PROVIDER_INDEX).toLowerCase(),
      },
      cursor: { chainId: '31337' },
    });

    const provider = addressOf(PROVIDER_INDEX);
    expect(query(grpcPort, 'provider', provider)).toMatchObject({
      provider: { roles: ['PARTICIPANT_ROLE_PROVIDER'], regions: ['eu-west'], active: true },
    });
    expect(query(grpcPort, 'stake', provider)).toMatchObject({
      stake: { staked: { baseUnits: '100000000000000000000' } },
    });

    // The job's flows: deposit, then payout, client refund and fee credits.
    const flows = query(grpcPort, 'flows-by-job', settled) as { flows: { kind: string }[] };
    expect(flows.flows.map((f) => f.kind)).toEqual([
      'TOKEN_FLOW_KIND_TRANSFER',
      'TOKEN_FLOW_KIND_ESCROW_CREDIT',
      'TOKEN_FLOW_KIND_ESCROW_CREDIT',
      'TOKEN_FLOW_KIND_PROTOCOL_FEE',
    ]);
    // Paging by cursor walks the provider's history without overlap.
    const seen: string[] = [];
    let token = '';
    do {
      const page = query(
        grpcPort,
        'flows-by-address',
        provider,
        '--page-size',
        '4',
        ...(token ? ['--page-token', token] : []),
      ) as {
        flows: { cursor: string }[];
        nextPageToken: string;
      };
      seen.push(...page.flows.map((f) => f.cursor));
      token = page.nextPageToken;
    } while (token);
    expect(seen.length).toBe(new Set(seen).size);
    expect([...seen].sort()).toEqual(seen);
    expect(seen.length).toBeGreaterThanOrEqual(15 + 1);

    // Balances: on-chain reads at the cursor block, the mirror's deposits and refunds. Every
    // escrow was closed, so nothing is held; clients hold refund credits they never withdrew.
    const client = addressOf(CLIENT_INDEXES[0]!);
    const balances = (who: string) =>
      query(grpcPort, 'balances', who) as {
        address: string;
        agpuBalance: { baseUnits: string };
        escrowed: { baseUnits: string };
        escrowedJobs: number;
        withdrawable: { baseUnits: string };
        refunded: { baseUnits: string };
        cursor: { blockNumber: string };
      };
    for (const who of [client, provider]) {
      const b = balances(who);
      const at = { blockTag: Number(b.cursor.blockNumber) };
      expect(b.address).toBe(who.toLowerCase());
      expect(b.agpuBalance.baseUnits).toBe((await fx.read.agpu.balanceOf(who, at)).toString());
      expect(b.withdrawable.baseUnits).toBe((await fx.read.jobEscrow.credits(who, at)).toString());
      expect(b.escrowed.baseUnits).toBe('0');
      expect(b.escrowedJobs ?? 0).toBe(0);
    }
    const clientBalances = balances(client);
    expect(BigInt(clientBalances.withdrawable.baseUnits)).toBeGreaterThan(0n);
    // Everything refunded to the client was credited and never withdrawn: the two agree.
    expect(clientBalances.refunded.baseUnits).toBe(clientBalances.withdrawable.baseUnits);
    expect(() => query(grpcPort, 'balances', '0x1234')).toThrow(/INVALID_ARGUMENT/);

    // Its events went out through the relay to the chain topic of this file's namespace (the
    // service created it), each stamped with the deployment it follows and its own name.
    const bus = testBus('ci-service-reader', { logger: silentLogger });
    const registry = starminerRegistry();
    const published: EventEnvelope[] = [];
    const reader = bus.consumer({ groupId: uniqueName('ci-service-reader') });
    await reader.start([Topics.chain], async (batch) => {
      for (const m of batch.messages) published.push(decodeEnvelope(registry, m.value!));
      await batch.commit(batch.messages[batch.messages.length - 1]!.offset);
    });
    try {
      await waitUntil('the escrow events on the chain topic', () =>
        published.filter((e) => e.type === 'EscrowSettled').length >= 15 ? true : undefined,
      );
      const origins = new Set(published.map((e) => `${e.deploymentId} ${e.producer}`));
      expect([...origins]).toEqual([`${deploymentIdOf(fx.deployments)} chain-indexer`]);
    } finally {
      await reader.stop();
      await bus.close();
    }

    svc.signal('SIGTERM');
    expect((await svc.exited).code).toBe(0);
  });
});
