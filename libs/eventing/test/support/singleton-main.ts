// A replica running one leased singleton loop, for the takeover test. Each pass writes one row
// to <schema>.passes in a fenced transaction that stays open for <passMs>, so a kill or a freeze
// lands inside a pass as often as between passes.
// argv: <databaseUrl> <schema> <replica> <passMs>. Prints "ready" once the loop runs.
import { Pool } from 'pg';
import { PgLease } from '../../src/lease/pg-lease';
import { SingletonLoop } from '../../src/lease/singleton-loop';
import { jsonLogger, silentLogger } from '../../src/logger';
import { withTransaction } from '../../src/postgres/transaction';

async function main(): Promise<void> {
  const [databaseUrl, schema, replica, passMs] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
  ];
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  // An idle pooled connection the server ends must not end the process (withTransaction guards
  // the checked-out ones).
  pool.on('error', () => undefined);
  const lease = new PgLease({
    name: 'test-loop',
    schema,
    connection: { connectionString: databaseUrl },
    holderId: replica,
    renewIntervalMs: 250,
    termMs: 2_000,
    logger: process.env.SINGLETON_DEBUG ? jsonLogger : silentLogger,
  });
  const loop = new SingletonLoop({
    name: 'test-loop',
    lease,
    intervalMs: 20,
    standbyPollMs: 100,
    logger: process.env.SINGLETON_DEBUG ? jsonLogger : silentLogger,
    pass: () =>
      withTransaction(pool, async (tx) => {
        await lease.fence(tx);
        const { rows } = await tx.query<{ seq: string }>(
          `INSERT INTO "${schema}".passes (replica, epoch, at) VALUES ($1, $2, clock_timestamp())
           RETURNING seq`,
          [replica, lease.currentEpoch()],
        );
        await new Promise((r) => setTimeout(r, Number(passMs)));
        // The last statement before COMMIT: when the pass's write became final, near enough.
        await tx.query(`UPDATE "${schema}".passes SET done_at = clock_timestamp() WHERE seq = $1`, [
          rows[0]!.seq,
        ]);
      }),
  });
  loop.start();
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void loop.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
