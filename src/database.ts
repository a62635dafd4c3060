import { Client, type Pool, type PoolClient } from 'pg';

const ensured = new Map<string, Promise<void>>();

/**
 * Creates the service's database when it does not exist yet, so that the service starts on a
 * fresh PostgreSQL server with no configuration. Connects to the server's `postgres` database
 * to do it; does nothing when the database is already there.
 */
export const ensureDatabase = (url: string): Promise<void> => {
  let pending = ensured.get(url);
  if (!pending) {
    pending = createIfMissing(url);
    ensured.set(url, pending);
    pending.catch(() => ensured.delete(url));
  }
  return pending;
};

const createIfMissing = async (url: string): Promise<void> => {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL names no database: ${url}`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      // Two instances starting at once both try; the loser finds the database made (42P04).
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
};

/** `work` in one transaction on one connection of `pool`: committed if it resolves, rolled back if it throws. */
export const inTransaction = async <T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
};
