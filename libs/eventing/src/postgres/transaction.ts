import { type Pool, type PoolClient } from 'pg';

/** A client inside an open transaction; handlers write their effects through it. */
export type Tx = PoolClient;

/**
 * Runs `fn` in a transaction and commits; rolls back and rethrows on error. A client whose
 * connection failed or whose rollback fails is destroyed instead of returned to the pool.
 */
export async function withTransaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no pool listener: a session the server ends while the transaction
  // waits (a restart, an idle-in-transaction timeout) would otherwise be an uncaught 'error'
  // that ends the process. The transaction's next statement then fails and is handled below.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
