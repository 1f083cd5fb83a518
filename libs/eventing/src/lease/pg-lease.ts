import os from 'node:os';
import { Client, type ClientConfig } from 'pg';
import { errorMessage } from '../domain/errors';
import { type Logger, jsonLogger } from '../logger';
import { quoteSchema } from '../postgres/sql-names';
import { type Tx } from '../postgres/transaction';

export interface PgLeaseOptions {
  /** What the lease guards, e.g. `match-loop`. One holder per name and schema. */
  name: string;
  /** The service's schema: the lease's fencing epoch is kept in its `leases` table. */
  schema: string;
  /** A dedicated session for the lock (never a pooled connection). */
  connection: ClientConfig;
  /** Who this replica is, shown by `holder()`: defaults to `<hostname>/<pid>`. */
  holderId?: string;
  /** How often the holder proves its session is alive. */
  renewIntervalMs?: number;
  /**
   * How long the holder keeps acting without a successful renewal. It is shorter than the time
   * Postgres takes to notice a silent peer (TCP keepalive below), so a partitioned holder stands
   * down before anyone else can take the lock.
   */
  termMs?: number;
  logger?: Logger;
  /** Channels to LISTEN on through the lease's session while it is held. */
  listen?: readonly string[];
  onNotification?: (channel: string) => void;
}

/** All StarMiner leases share the first advisory-lock key, so `pg_locks` shows them together. */
const LEASE_NAMESPACE = 'starminer.lease';

/** Server-side keepalive on the lease session: a vanished holder is dropped within ~11 s. */
const SERVER_KEEPALIVE = { idle: 5, interval: 2, count: 3 };

/** A write made under a lease that another replica took over since: it must not commit. */
export class LeaseLostError extends Error {
  constructor(lease: string, holder: string) {
    super(`lease ${lease} is no longer held by ${holder}`);
    this.name = 'LeaseLostError';
  }
}

/**
 * A lease for one holder among replicas: a Postgres session advisory lock on a dedicated
 * connection. A holder that dies (SIGKILL, crash) loses its session and Postgres releases the
 * lock at once; a holder cut off from Postgres stops acting after `termMs` without a successful
 * renewal, before the server's keepalive drops the session and frees the lock for a standby.
 * `holder()` names the replica holding the lease, read from Postgres itself.
 *
 * Fencing: each acquisition bumps the lease's epoch in `<schema>.leases`. A holder's
 * transaction calls `fence(tx)`, which share-locks that row and fails with LeaseLostError if the
 * epoch moved, so a deposed holder that is still finishing a pass can never commit after its
 * successor took over (the successor's epoch bump waits for that transaction, or the
 * transaction sees the new epoch).
 */
export class PgLease {
  readonly holderId: string;
  private readonly renewIntervalMs: number;
  private readonly termMs: number;
  private readonly logger: Logger;
  private session: Client | undefined;
  private renewedAt = 0;
  private epoch = 0;
  private readonly table: string;
  /** The advisory lock's key: leases of the same name in two schemas are two leases. */
  private readonly lockKey: string;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly lostListeners: Array<() => void> = [];

  constructor(private readonly options: PgLeaseOptions) {
    this.holderId = options.holderId ?? `${os.hostname()}/${process.pid}`;
    this.renewIntervalMs = options.renewIntervalMs ?? 2_000;
    this.termMs = options.termMs ?? 8_000;
    if (this.termMs <= this.renewIntervalMs)
      throw new Error(`lease ${options.name}: termMs must be longer than renewIntervalMs`);
    this.logger = options.logger ?? jsonLogger;
    this.table = `${quoteSchema(options.schema)}.leases`;
    this.lockKey = `${options.schema}.${options.name}`;
  }

  /** The epoch of this replica's current tenure (0 when it holds nothing). */
  currentEpoch(): number {
    return this.session ? this.epoch : 0;
  }

  /**
   * Inside a transaction doing the lease holder's work: fails unless this replica still holds
   * the lease, and keeps a successor from taking over until the transaction ends.
   */
  async fence(tx: Tx): Promise<void> {
    const mine = this.currentEpoch();
    // A holder frozen inside this transaction would keep the row share-locked and block its
    // successor's epoch bump: the server ends such a transaction after the lease's term.
    await tx.query(`SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, [
      `${this.termMs}ms`,
    ]);
    const r = await tx.query<{ epoch: string }>(
      `SELECT epoch FROM ${this.table} WHERE name = $1 FOR SHARE`,
      [this.options.name],
    );
    if (!this.held() || mine === 0 || Number(r.rows[0]?.epoch) !== mine)
      throw new LeaseLostError(this.options.name, this.holderId);
  }

  /** This replica's tenure: whether it leads, who it is, and its epoch (0 while it stands by). */
  tenure(): { leader: boolean; holderId: string; epoch: number } {
    return { leader: this.held(), holderId: this.holderId, epoch: this.currentEpoch() };
  }

  /** True while this replica holds the lease and renewed it within its term. */
  held(): boolean {
    return this.session !== undefined && Date.now() - this.renewedAt < this.termMs;
  }

  /** Called each time this replica loses a lease it held. */
  onLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  /** Takes the lease if it is free; true if this replica holds it (already or now). */
  async tryAcquire(): Promise<boolean> {
    if (this.session) return this.held();
    const client = new Client({
      ...this.options.connection,
      application_name: this.holderId,
      keepAlive: true,
      keepAliveInitialDelayMillis: 2_000,
      query_timeout: this.renewIntervalMs,
    });
    client.on('error', (err) => this.lose(client, `session error: ${errorMessage(err)}`));
    client.on('end', () => this.lose(client, 'session ended'));
    client.on('notification', (n) => this.options.onNotification?.(n.channel));
    try {
      await client.connect();
      await client.query(
        `SET tcp_keepalives_idle = ${SERVER_KEEPALIVE.idle};
         SET tcp_keepalives_interval = ${SERVER_KEEPALIVE.interval};
         SET tcp_keepalives_count = ${SERVER_KEEPALIVE.count}`,
      );
      const r = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked',
        [LEASE_NAMESPACE, this.lockKey],
      );
      if (!r.rows[0]?.locked && !(await this.breakStaleLease(client))) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        return false;
      }
      this.epoch = await this.nextEpoch(client);
      for (const channel of this.options.listen ?? [])
        await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    this.session = client;
    this.renewedAt = Date.now();
    this.renewTimer = setInterval(() => void this.renew(client), this.renewIntervalMs);
    this.renewTimer.unref();
    this.logger.info('lease taken', {
      lease: this.options.name,
      holder: this.holderId,
      epoch: this.epoch,
    });
    return true;
  }

  private async nextEpoch(session: Client): Promise<number> {
    // Leases of one schema may be taken at the same moment: their DDL runs one at a time.
    await session.query('BEGIN');
    await session.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${LEASE_NAMESPACE}.ddl`]);
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(this.options.schema)}`);
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         name text PRIMARY KEY,
         epoch bigint NOT NULL,
         holder text NOT NULL,
         taken_at timestamptz NOT NULL DEFAULT now(),
         renewed_at timestamptz NOT NULL DEFAULT now())`,
    );
    await session.query('COMMIT');
    const r = await session.query<{ epoch: string }>(
      `INSERT INTO ${this.table} (name, epoch, holder) VALUES ($1, 1, $2)
       ON CONFLICT (name) DO UPDATE
         SET epoch = ${this.table}.epoch + 1, holder = $2, taken_at = now(), renewed_at = now()
       RETURNING epoch`,
      [this.options.name, this.holderId],
    );
    return Number(r.rows[0]!.epoch);
  }

  /** Gives the lease up (a clean stop): a standby can take it at once. */
  async release(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.stopRenewing();
    this.session = undefined;
    session.removeAllListeners('end');
    await session.end().catch(() => undefined);
    this.logger.info('lease released', { lease: this.options.name, holder: this.holderId });
  }

  /** The replica holding the lease now, as Postgres sees it, or undefined if nobody does. */
  async holder(): Promise<string | undefined> {
    const client = new Client(this.options.connection);
    await client.connect();
    try {
      const r = await client.query<{ holder: string }>(
        `SELECT a.application_name AS holder
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = (hashtext($1)::bigint & 4294967295)::text::oid
            AND l.objid = (hashtext($2)::bigint & 4294967295)::text::oid`,
        [LEASE_NAMESPACE, this.lockKey],
      );
      return r.rows[0]?.holder;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * A holder whose process is frozen keeps its session (the kernel still answers keepalives), so
   * its lock would never be freed. Once its renewals are older than the term, a standby ends that
   * session; the frozen holder's writes are then refused by the fence. True if the lock was taken.
   */
  private async breakStaleLease(session: Client): Promise<boolean> {
    const exists = await session.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
      this.table,
    ]);
    if (!exists.rows[0]?.t) return false;
    const stale = await session.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l, ${this.table} t
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = (hashtext($1)::bigint & 4294967295)::text::oid
          AND l.objid = (hashtext($2)::bigint & 4294967295)::text::oid
          AND t.name = $4 AND t.renewed_at < now() - make_interval(secs => $3)`,
      [LEASE_NAMESPACE, this.lockKey, this.termMs / 1000, this.options.name],
    );
    const pid = stale.rows[0]?.pid;
    if (pid === undefined) return false;
    this.logger.warn('breaking a stale lease', { lease: this.options.name, pid });
    await session.query('SELECT pg_terminate_backend($1)', [pid]);
    for (let i = 0; i < 20; i++) {
      const r = await session.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked',
        [LEASE_NAMESPACE, this.lockKey],
      );
      if (r.rows[0]?.locked) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  private async renew(session: Client): Promise<void> {
    if (this.session !== session) return;
    try {
      const r = await session.query(
        `UPDATE ${this.table} SET renewed_at = now() WHERE name = $1 AND epoch = $2`,
        [this.options.name, this.epoch],
      );
      if (r.rowCount !== 1) throw new Error('another replica took the lease');
      this.renewedAt = Date.now();
    } catch (err) {
      this.lose(session, `renewal failed: ${errorMessage(err)}`);
      return;
    }
  }

  private lose(session: Client, reason: string): void {
    if (this.session !== session) return;
    this.stopRenewing();
    this.session = undefined;
    session.removeAllListeners('end');
    void session.end().catch(() => undefined);
    this.logger.warn('lease lost', { lease: this.options.name, holder: this.holderId, reason });
    for (const listener of this.lostListeners) listener();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
