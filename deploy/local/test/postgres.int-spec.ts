import { Client } from 'pg';
import { requireStackVar } from '@starminer/testing';

// Smoke test of the stack's Postgres: a migration, a write and a read in a schema of its own.
describe('Postgres', () => {
  const client = new Client({ connectionString: requireStackVar('DATABASE_URL') });
  const schema = `smoke_${process.pid}_${Date.now()}`;

  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('migrates, writes and reads back', async () => {
    await client.query(`create schema ${schema}`);
    await client.query(
      `create table ${schema}.providers (address text primary key, staked numeric(78,0) not null)`,
    );
    const staked = '115792089237316195423570985008687907853269984665640564039457584007913129639935';
    await client.query(`insert into ${schema}.providers values ($1, $2)`, ['0xabc', staked]);

    const { rows } = await client.query(`select address, staked::text from ${schema}.providers`);
    expect(rows).toEqual([{ address: '0xabc', staked }]);
    const version = await client.query<{ server_version_num: string }>('show server_version_num');
    expect(Number(version.rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
  });
});
