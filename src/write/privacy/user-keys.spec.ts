import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations/all.js';
import { createTestDatabase } from '../../../test/support/database.js';
import { validateEnvironment } from '../../config.js';
import { subjectOf } from './personal-data.js';
import { UserKeys } from './user-keys.js';

/** One key per user, however its first commands arrive: together, on two instances, or after the cache forgot it. */
describe('UserKeys: a user has one key', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let one: UserKeys;
  let two: UserKeys;
  const keysOf = async (): Promise<number> => Number((await db.query(`SELECT count(*) AS n FROM privacy.user_keys WHERE lookup IS NOT NULL`))[0].n);

  beforeAll(async () => {
    database = await createTestDatabase('user_keys');
    db = new DataSource({ type: 'postgres', url: database.url, migrations });
    await db.initialize();
    await db.runMigrations();
    one = new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }));
    two = new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }));
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await db.destroy();
    await database.drop();
  });

  it('makes one key for commands of one user in the same instant, on one instance or two, among other new users', async () => {
    const before = await keysOf();
    const asked = await Promise.all([
      ...Array.from({ length: 4 }, () => one.encryptedId('alice')),
      ...Array.from({ length: 4 }, () => two.encryptedId('alice')),
      ...Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).encryptedId(`buyer-${i}`)),
    ]);
    expect(new Set(asked.slice(0, 8))).toEqual(new Set([asked[0]])); // deterministic encryption under one key
    expect(new Set(asked.map(subjectOf)).size).toBe(21);
    expect(await keysOf()).toBe(before + 21);
  });

  it("finds a returning user's key once the cache has forgotten it", async () => {
    const first = await one.encryptedId('bob');
    one.forget();
    two.forget();
    const again = await Promise.all([one.encryptedId('bob'), two.encryptedId('bob'), one.encryptedId('carol')]);
    expect(again.slice(0, 2)).toEqual([first, first]);
    expect(subjectOf(again[2])).not.toBe(subjectOf(first));
    expect(await one.existingEncryptedId('bob')).toBe(first);
  });

  it('makes a new key for a user who acts again after an erasure', async () => {
    const before = await one.encryptedId('dave');
    await db.query(`UPDATE privacy.user_keys SET wrapped_key = NULL, lookup = NULL, erased_at = now() WHERE subject_id = $1`, [subjectOf(before)]);
    one.forget();
    expect(await one.existingEncryptedId('dave')).toBeUndefined();
    const after = await one.encryptedId('dave');
    expect(subjectOf(after)).not.toBe(subjectOf(before));
  });
});
