import { waitUntil } from '@starminer/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { type Pool } from 'pg';
import { PgLease } from '../src/lease/pg-lease';
import { silentLogger } from '../src/logger';
import { databaseUrl, dropSchema, newPool, uniqueName } from './support/harness';

// Two replicas run the same leased loop (support/singleton-main.ts: renew every 250 ms, term
// 2 s, standby polls every 100 ms, each pass holds its fenced transaction open for 150 ms).
const PASS_MS = 150;

jest.setTimeout(120_000);

interface Pass {
  replica: string;
  epoch: number;
  at: Date;
  done_at: Date | null;
}

describe('a leased singleton loop on two replicas', () => {
  let pool: Pool;
  let schema: string;
  const children: ChildProcess[] = [];

  function startReplica(name: string): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [
        '-r',
        path.join(__dirname, 'support/register-ts.js'),
        path.join(__dirname, 'support/singleton-main.ts'),
        databaseUrl(),
        schema,
        name,
        String(PASS_MS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.stdout!.once('data', () => resolve(child));
      child.once('exit', (code, signal) => reject(new Error(`${name} exited: ${code ?? signal}`)));
    });
  }

  const passes = async () =>
    (
      await pool.query<Pass>(
        `SELECT replica, epoch::int, at, done_at FROM "${schema}".passes ORDER BY seq`,
      )
    ).rows;
  const passesOf = async (replica: string, epoch?: number) =>
    (await passes()).filter(
      (p) => p.replica === replica && (epoch === undefined || p.epoch === epoch),
    );
  const tenure = async () =>
    (
      await pool.query<{ holder: string; epoch: number }>(
        `SELECT holder, epoch::int FROM "${schema}".leases WHERE name = 'test-loop'`,
      )
    ).rows[0];
  const holderSeenByPostgres = () =>
    new PgLease({
      name: 'test-loop',
      schema,
      connection: { connectionString: databaseUrl() },
      logger: silentLogger,
    }).holder();

  /**
   * Every committed pass of an earlier tenure finished before the first pass of a later one began:
   * at no moment did two replicas both do the singleton's work.
   */
  async function expectTenuresNeverOverlap(): Promise<void> {
    const all = await passes();
    const epochs = [...new Set(all.map((p) => p.epoch))].sort((a, b) => a - b);
    for (let i = 1; i < epochs.length; i++) {
      const earlier = all.filter((p) => p.epoch < epochs[i]!);
      const firstLater = Math.min(
        ...all.filter((p) => p.epoch === epochs[i]).map((p) => p.at.getTime()),
      );
      for (const p of earlier) {
        expect(p.done_at).not.toBeNull();
        expect(p.done_at!.getTime()).toBeLessThan(firstLater);
      }
    }
    // One replica per tenure.
    for (const e of epochs)
      expect(new Set(all.filter((p) => p.epoch === e).map((p) => p.replica)).size).toBe(1);
  }

  beforeAll(async () => {
    pool = newPool(databaseUrl(), 4);
    schema = uniqueName('lease');
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".passes (seq bigserial PRIMARY KEY, replica text NOT NULL,
         epoch bigint NOT NULL, at timestamptz NOT NULL, done_at timestamptz)`,
    );
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('runs on one replica; when the holder is SIGKILLed the standby takes over, three times over', async () => {
    const takeovers: number[] = [];
    let leader = await startReplica('replica-a');
    let leaderName = 'replica-a';
    await waitUntil(
      'three passes of replica-a',
      async () => ((await passesOf('replica-a')).length >= 3 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    let standby = await startReplica('replica-b');
    let standbyName = 'replica-b';
    for (let round = 0; round < 3; round++) {
      // The standby does nothing while the holder lives.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await holderSeenByPostgres()).toBe(leaderName);
      const { epoch } = (await tenure())!;
      expect(await passesOf(standbyName, epoch + 1)).toHaveLength(0);

      const killedAt = Date.now();
      leader.kill('SIGKILL');
      await waitUntil(
        `a pass of ${standbyName} in tenure ${epoch + 1}`,
        async () => ((await passesOf(standbyName, epoch + 1)).length > 0 ? true : undefined),
        { timeoutMs: 30_000 },
      );
      const first = (await passesOf(standbyName, epoch + 1))[0]!;
      takeovers.push(first.at.getTime() - killedAt);
      expect(await tenure()).toEqual({ holder: standbyName, epoch: epoch + 1 });
      expect(await holderSeenByPostgres()).toBe(standbyName);

      // The killed replica comes back as the new standby.
      const next = `replica-${String.fromCharCode(99 + round)}`;
      [leader, leaderName] = [standby, standbyName];
      standby = await startReplica(next);
      standbyName = next;
    }
    await expectTenuresNeverOverlap();
    console.log(`singleton takeover after SIGKILL of the holder (ms): ${takeovers.join(', ')}`);
  });

  it('a frozen holder (SIGSTOP) is deposed after its term, and its writes after waking are refused', async () => {
    const { holder, epoch } = (await tenure())!;
    const frozen = children.find(
      (c) => c.exitCode === null && c.signalCode === null && c.spawnargs.includes(holder),
    )!;
    const standbyName = children
      .filter((c) => c.exitCode === null && c.signalCode === null && c !== frozen)
      .map((c) => c.spawnargs[c.spawnargs.length - 2]!)[0]!;
    const frozenAt = Date.now();
    frozen.kill('SIGSTOP');
    await waitUntil(
      `a pass of ${standbyName} in tenure ${epoch + 1}`,
      async () => ((await passesOf(standbyName, epoch + 1)).length > 0 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const first = (await passesOf(standbyName, epoch + 1))[0]!;
    const takeover = first.at.getTime() - frozenAt;

    frozen.kill('SIGCONT');
    // Give the woken replica time to try to finish its pass and to see it lost the lease.
    await new Promise((r) => setTimeout(r, 2_000));
    // The deposed replica lives on as a standby (its dead transaction did not end the process).
    expect({ exitCode: frozen.exitCode, signal: frozen.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
    expect((await tenure())!.holder).toBe(standbyName);
    expect(await holderSeenByPostgres()).toBe(standbyName);
    // Nothing of the frozen tenure was committed after the new tenure began.
    await expectTenuresNeverOverlap();
    expect(await passesOf(holder, epoch + 2)).toHaveLength(0);
    console.log(`singleton takeover from a frozen holder (ms): ${takeover}`);
  });
});
