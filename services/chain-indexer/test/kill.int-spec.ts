// The follower in a child process, SIGKILLed at random points of a 5,000-block backfill and
// restarted each time: afterwards no log is missing or doubled, every published event is in the
// outbox once, and the stored cursor was only ever seen moving forward.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDeployments } from '@starminer/chain';
import { escrowActivity, headNumber, mineEmpty, privateChain } from './support/chain';
import {
  databaseUrl,
  dropSchema,
  expectMirrorOfChain,
  newPool,
  uniqueName,
} from './support/indexer';

const registerTs = path.resolve(__dirname, '../../../libs/eventing/test/support/register-ts.js');
const childMain = path.join(__dirname, 'support/follower-main.ts');

function startChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['-r', registerTs, childMain, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('an indexer killed during a 5,000-block backfill', () => {
  it('leaves no gaps, no duplicates, and a cursor that only moved forward', async () => {
    const fx = await privateChain();
    for (let round = 0; round < 10; round++) {
      await escrowActivity(fx, { jobs: 40, tag: `kill-${round}`, txsPerBlock: 1 });
      await mineEmpty(fx.chain, 420);
    }
    const head = await headNumber(fx.chain);
    expect(head - fx.deployments.deploymentBlock).toBeGreaterThanOrEqual(5_000);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-kill-')), 'deployments.json');
    writeDeployments(file, fx.deployments);

    const pool = newPool();
    const schema = uniqueName('ci_kill');
    const cursors: number[] = [];
    let kills = 0;
    try {
      const watch = setInterval(() => {
        pool
          .query<{ block_number: string }>(`SELECT block_number FROM "${schema}".indexer_cursor`)
          .then((r) => r.rows[0] && cursors.push(Number(r.rows[0].block_number)))
          .catch(() => undefined);
      }, 15);
      for (;;) {
        const child = startChild([databaseUrl(), schema, fx.chain.url, file, '40']);
        const exited = new Promise((r) => child.once('exit', r));
        // Kill at a random moment after it started indexing; every other round may also cut a
        // slow start short. Waiting for the start on the other rounds keeps a loaded machine, where
        // every start is slow, from killing each child before it indexes anything.
        const started = new Promise((r) => child.stdout?.once('data', r));
        await Promise.race([
          started,
          new Promise((r) => setTimeout(r, kills % 2 === 0 ? 3_000 : 120_000)),
        ]);
        await new Promise((r) => setTimeout(r, Math.random() * 400));
        child.kill('SIGKILL');
        await exited;
        kills++;
        const at = cursors[cursors.length - 1] ?? 0;
        if (at >= head) break;
        if (kills > 200) throw new Error(`no progress: cursor at ${at}`);
      }
      clearInterval(watch);
      console.log(`killed the follower ${kills} times; ${cursors.length} cursor samples`);

      for (let i = 1; i < cursors.length; i++)
        expect(cursors[i]!).toBeGreaterThanOrEqual(cursors[i - 1]!);
      await expectMirrorOfChain(pool, schema, fx.chain.url, fx.deployments, head);
      expect(kills).toBeGreaterThan(3);
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
      await fx.chain.stop();
    }
  }, 600_000);
});
