// The follower as a child process for the kill test: indexes until killed.
// argv: <databaseUrl> <schema> <rpcUrl> <deploymentsFile> <batchBlocks>
import { Pool } from 'pg';
import { readDeployments } from '@starminer/chain';
import { silentLogger } from '@starminer/eventing';
import { buildIndexer } from '../../src/infra/indexer-runtime';

async function main(): Promise<void> {
  const [databaseUrl, schema, rpcUrl, deploymentsFile, batch] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const ix = await buildIndexer({
    pool,
    schema,
    rpcUrl,
    deployments: readDeployments(deploymentsFile),
    confirmations: 0,
    finalityDepth: 64,
    batchBlocks: Number(batch),
    pollIntervalMs: 20,
    rpcTimeoutMs: 10_000,
    logger: silentLogger,
  });
  ix.follower.start();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`follower child failed: ${String(err)}\n`);
  process.exit(1);
});
