// The demo scenario of `make demo`: deploys the contracts to the local chain, onboards providers and
// their GPU nodes, starts the services, then has demo clients submit a mixed batch of jobs through
// the SDK (funding each escrow in the same call), shows their progress live and prints a summary
// with each job's settlement transaction. Exits non-zero if any job does not end as expected.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Wallet, formatUnits, type JsonRpcProvider } from 'ethers';
import { Pool } from 'pg';
import { devWallet, readDeployments, rpcProvider } from '@starminer/chain';
import { StarMinerClient } from '@starminer/sdk';
import { requireStackVar, stackRegions, stackRunDir } from '@starminer/testing';
import { batch, runBatch, summary } from './demo-batch';
import { cliWalletKey, connectClients, fundClients, type DemoClient } from './demo-clients';
import { PROVIDER_ACCOUNTS, onboardProviders } from './demo-providers';

const root = path.resolve(__dirname, '..');
const runDir = stackRunDir();
const deploymentsFile = path.join(runDir, 'deployments.json');
const GATEWAY_URL = process.env.STARMINER_GATEWAY_URL ?? 'http://127.0.0.1:8080';

/** The demo services' schemas: each service's default (its name, '-' as '_'). */
const DEMO_SCHEMAS = [
  'chain_indexer',
  'registry',
  'pricing',
  'reputation',
  'matchmaker',
  'spillover',
  'gateway',
];

function step(msg: string): void {
  console.log(`\n== ${msg}`);
}

function deployContracts(): void {
  step('deploying the StarMiner contracts to the local chain');
  execFileSync(
    'npm',
    ['run', '--silent', 'deploy', '-w', '@starminer/contracts', '--', '--out', deploymentsFile],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL') },
    },
  );
}

/**
 * Each run deploys a fresh contract set: a new deployment. Services still running from an earlier
 * run (which belong to the old one) are stopped, and every service's schema is dropped, so the new
 * deployment starts from nothing: its read models hold no node, provider, price or job of the old
 * contract set, and the chain-indexer reads from the new deployment block (docs/chain-indexer.md,
 * "Operating it"). The demo's topics keep the old deployment's events, which its consumers now
 * refuse as another deployment's.
 */
async function freshServiceState(): Promise<void> {
  execFileSync('bash', [path.join(root, 'deploy/local/services.sh'), 'stop'], { stdio: 'inherit' });
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  try {
    for (const schema of DEMO_SCHEMAS) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

function startServices(): void {
  step('starting the services (the matchmaker passes simulated runtimes to the kwok GPU nodes)');
  execFileSync('bash', [path.join(root, 'deploy/local/services.sh'), 'start'], {
    stdio: 'inherit',
    // A local-stack feature: jobs may script how long their simulated pod runs and how it ends.
    env: { ...process.env, SIMULATION_ANNOTATIONS: 'true' },
  });
  execFileSync('bash', [path.join(root, 'deploy/local/services.sh'), 'status'], {
    stdio: 'inherit',
  });
}

async function onboard(): Promise<string[]> {
  step('providers register and stake on chain; node operators join their GPU nodes');
  const chain = rpcProvider(requireStackVar('CHAIN_RPC_URL'));
  try {
    const lines = await onboardProviders(readDeployments(deploymentsFile), deploymentsFile, chain);
    for (const line of lines) console.log(`  ${line}`);
    return lines;
  } finally {
    chain.destroy();
  }
}

/** Each provider withdraws what settlement credited it, with the SDK as any wallet would. */
async function providerPayouts(chain: JsonRpcProvider): Promise<string[]> {
  const lines: string[] = [];
  for (const index of PROVIDER_ACCOUNTS) {
    const client = new StarMinerClient({
      gatewayUrl: GATEWAY_URL,
      signer: new Wallet(devWallet(index).privateKey, chain),
      deployments: deploymentsFile,
    });
    try {
      const r = await client.withdraw();
      lines.push(
        `provider ${devWallet(index).address.toLowerCase()} ` +
          (r.txHash
            ? `withdrew ${formatUnits(r.amount, 18)} AGPU in ${r.txHash}`
            : 'had nothing to withdraw'),
      );
    } finally {
      client.close();
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const started = Date.now();
  await freshServiceState();
  deployContracts();
  await onboard();
  startServices();
  const d = readDeployments(deploymentsFile);
  const chain = rpcProvider(requireStackVar('CHAIN_RPC_URL'));
  let clients: DemoClient[] = [];
  try {
    step(
      'demo clients: funded with ETH and AGPU, registered, signed in (SIWE) with an API key each',
    );
    for (const line of await fundClients(d, chain)) console.log(`  ${line}`);
    clients = await connectClients(GATEWAY_URL, deploymentsFile, chain);
    for (const c of clients) console.log(`  ${c.name} ${c.address} signed in, API key created`);

    const items = batch(clients, stackRegions());
    step(
      `submitting ${items.length} requests through the SDK (templates x urgencies x regions), ` +
        'each funding its escrow in the same call',
    );
    const done = await runBatch(items, {
      write: (s) => void process.stdout.write(s),
      live: process.stdout.isTTY === true,
      timeoutMs: 10 * 60_000,
    });

    step('summary');
    for (const line of summary(done)) console.log(line);
    step('providers pull their payouts from the escrow (pull payments)');
    for (const line of await providerPayouts(chain)) console.log(`  ${line}`);
    const bad = done.filter((f) => !f.ok);
    const spent = done.reduce((sum, f) => sum + BigInt(f.job.cost), 0n);
    console.log(
      `\n${done.length} jobs, ${done.length - bad.length} ended as expected; ` +
        `${formatUnits(spent, 18)} AGPU paid for GPU time; ${Math.round((Date.now() - started) / 1000)}s in all.`,
    );
    if (bad.length) {
      for (const f of bad) console.error(`  job ${f.job.jobId}: ${f.why}`);
      throw new Error(`${bad.length} job(s) did not reach their expected end`);
    }
    console.log(
      `\nServices keep running (logs in ${runDir}/logs); stop everything with 'make down'.\n` +
        'Submit a job yourself with the CLI (README, "Submit a job with the CLI"):\n\n' +
        `  export STARMINER_PRIVATE_KEY=${cliWalletKey()}   # a funded wallet of the local chain\n` +
        '  node cli/dist/main.js login\n',
    );
  } finally {
    for (const c of clients) c.client.close();
    chain.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
