// Checks that a running demo deployment is undisturbed by whatever ran beside it (the whole test
// suite, in CI). `snapshot` records what the demo's services know of supply, providers and prices;
// `verify` compares it again, reads the refused-events counters of the demo's services, and runs
// the README's CLI steps (login, submit --watch) to a settled job. Exits non-zero on any
// difference or failure. usage: npx tsx scripts/isolation-check.ts snapshot|verify
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { requireStackVar, stackRunDir } from '@starminer/testing';
import { devWallet } from '@starminer/chain';

const root = path.resolve(__dirname, '..');
const snapshotFile = path.join(stackRunDir(), 'isolation-snapshot.json');
/** The CLI user's wallet the demo funds (README, "Submit a job with the CLI"). */
const CLI_ACCOUNT = 40;
const DEMO_HTTP_PORTS: Record<string, number> = {
  gateway: 8080,
  matchmaker: 8081,
  pricing: 8082,
  registry: 8083,
  reputation: 8084,
  spillover: 8085,
  'chain-indexer': 8086,
};

/**
 * Read models of the demo's services that another deployment's events corrupted before. Prices
 * move on their own (the demo's pricing republishes as load changes), so they are checked by
 * origin instead: see FOREIGN_PRICES.
 */
const READ_MODELS: Record<string, string> = {
  'matchmaker nodes': `SELECT region, node, provider, pool, product, gpus FROM matchmaker.nodes ORDER BY 1, 2`,
  'matchmaker providers': `SELECT provider, active FROM matchmaker.providers ORDER BY 1`,
  'spillover nodes': `SELECT region, node, product, gpus FROM spillover.nodes ORDER BY 1, 2`,
  'registry nodes': `SELECT region, name, provider, pool, gpu_product, capacity_gpus, status FROM registry.nodes ORDER BY 1, 2`,
  'registry providers': `SELECT address, registered, active FROM registry.providers ORDER BY 1`,
};

/**
 * Prices the demo's matchmaker or spillover hold that the demo's own pricing never published: any
 * row here came from another deployment's events.
 */
const FOREIGN_PRICES = ['matchmaker', 'spillover']
  .map(
    (service) => `SELECT '${service}' AS service, product, region, urgency, price::text
      FROM ${service}.prices p
      WHERE NOT EXISTS (SELECT 1 FROM pricing.price_history h
                        WHERE h.region = p.region AND h.price = p.price)`,
  )
  .join(' UNION ALL ');

type Snapshot = Record<string, unknown[]>;

async function query<T>(run: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  try {
    return await run(pool);
  } finally {
    await pool.end();
  }
}

const readModels = () =>
  query(async (pool) => {
    const out: Snapshot = {};
    for (const [name, sql] of Object.entries(READ_MODELS)) out[name] = (await pool.query(sql)).rows;
    return out;
  });

const foreignPrices = () => query(async (pool) => (await pool.query(FOREIGN_PRICES)).rows);
const heldPrices = () =>
  query(
    async (pool) =>
      (
        await pool.query<{ n: string }>(
          'SELECT (SELECT count(*) FROM matchmaker.prices) + (SELECT count(*) FROM spillover.prices) AS n',
        )
      ).rows[0]!.n,
  );

/** starminer_events_refused_total of each demo service, summed. */
async function refusedCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [service, port] of Object.entries(DEMO_HTTP_PORTS)) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    out[service] = text
      .split('\n')
      .filter((l) => l.startsWith('starminer_events_refused_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }
  return out;
}

function cli(args: string[], env: Record<string, string>): string {
  return execFileSync('node', [path.join(root, 'cli/dist/main.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The README's CLI steps: sign in with the demo-funded wallet, submit to eu-west and watch it settle. */
function cliJobSettles(): string {
  const env = {
    STARMINER_PRIVATE_KEY: devWallet(CLI_ACCOUNT).privateKey,
    DEPLOYMENTS_FILE: path.join(stackRunDir(), 'deployments.json'),
  };
  const login = cli(['login', '--json'], env);
  const apiKey = (JSON.parse(login) as { key: string }).key;
  const out = cli(
    [
      'submit',
      '-t',
      'stable-diffusion',
      '-p',
      'prompt=a red fox',
      '-p',
      'steps=40',
      '-u',
      'high',
      '-r',
      'eu-west',
      '--watch',
      '--json',
    ],
    { ...env, STARMINER_API_KEY: apiKey },
  );
  return out;
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'snapshot') {
    const models = await readModels();
    if ((models['matchmaker nodes'] ?? []).length === 0)
      throw new Error('the demo matchmaker knows no node: is the demo running (make demo)?');
    fs.writeFileSync(snapshotFile, JSON.stringify(models, null, 2));
    const counts = Object.entries(models).map(([k, rows]) => `${k} ${rows.length}`);
    console.log(`demo read models recorded in ${snapshotFile}: ${counts.join(', ')}`);
    return;
  }
  if (mode !== 'verify') throw new Error('usage: isolation-check.ts snapshot|verify');
  const before = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as Snapshot;
  const after = await readModels();
  const changed = Object.keys(READ_MODELS).filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  for (const k of changed)
    console.log(
      `changed: ${k}\n  before: ${JSON.stringify(before[k])}\n  after:  ${JSON.stringify(after[k])}`,
    );
  const foreign = await foreignPrices();
  console.log(`prices held by the demo's matchmaker and spillover: ${await heldPrices()}`);
  for (const row of foreign) console.log(`price not published by the demo: ${JSON.stringify(row)}`);
  const refused = await refusedCounts();
  console.log(`events refused by the demo's services: ${JSON.stringify(refused)}`);
  if (changed.length > 0) throw new Error(`the demo's read models changed: ${changed.join(', ')}`);
  if (foreign.length > 0) throw new Error(`the demo holds ${foreign.length} foreign prices`);
  console.log(
    "the demo read models are unchanged and hold only the demo's prices; submitting a job with the CLI",
  );
  const lines = cliJobSettles().trim().split('\n');
  const ended = JSON.parse(lines[lines.length - 1]!) as {
    jobs?: Array<{ jobId: string; state: string }>;
  };
  const job = ended.jobs?.[0];
  if (job?.state !== 'SETTLED')
    throw new Error(`the CLI job did not settle: ${lines[lines.length - 1]}`);
  console.log(`the CLI job ${job.jobId} settled`);
}

main().catch((err: unknown) => {
  console.error(`isolation check failed: ${(err as Error).message}`);
  process.exit(1);
});
