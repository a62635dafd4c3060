// Shared by the benchmarks: a database of their own, the machine they ran on, and summaries.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { SignJWT } from 'jose';
import pg from 'pg';
import { DEVELOPMENT_JWT_SECRET } from '../dist/src/config.js';

export const serverUrl = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const benchDatabase = async (label) => {
  const name = `eventix_bench_${label}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
};

export const machine = () => {
  const pgVersion = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-tAc', 'SHOW server_version'], { encoding: 'utf8' }).trim();
  return `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${pgVersion}`;
};

/** The middle value; of an even count, the mean of the two middle ones. */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** "median (min–max)" of repeated runs. */
export const summary = (values, digits = 0) => {
  const f = (v) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
};

const secret = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);
/** A bearer token as the service accepts it outside production (HS256, the development secret). */
export const token = (sub, permissions = []) => new SignJWT({ permissions }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('2h').sign(secret);

/** JSON over HTTP to a service on 127.0.0.1, on keep-alive connections, at most `maxSockets` at once. */
export const httpClient = (maxSockets) => {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const http = (port, method, path, { body, auth, headers = {}, raw = false } = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (raw) return resolve({ status: res.statusCode });
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined });
        });
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  return { http, close: () => agent.destroy() };
};

export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const { http: probe } = httpClient(2);

/** Starts a service script on `port`; resolves once it answers HTTP. */
export const startServer = async (script, env, port) => {
  // ONSALE_CPU_PROFILE=<dir> (any bench): each server writes a V8 CPU profile there when it stops (to find what limits it).
  const profile = process.env.ONSALE_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ONSALE_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, script], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', PORT: String(port), BOOKING_HOLD_SECONDS: '3600', MAX_SEATS_PER_BOOKING: '10', BOOKING_RATE_LIMIT: '0', MAX_SEATS_PER_USER_PER_EVENT: '10000', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 150; i++) {
    try {
      const r = await probe(port, 'GET', '/events/00000000-0000-4000-8000-000000000000/seat-map');
      if (r.status === 404 || r.status === 200) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${script} did not start`);
};

export const stopServer = async (child) => {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
};

/** A deterministic generator per buyer, the same for every system: same buyers, same choices. */
export const rng = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * A pick-your-seat buyer's next try (the on-sale's): 1–4 of the seats it believes free (`view`, indexes in
 * best-first order), mostly one, the best far more often than the rest (Zipf-like).
 */
export const chooseSeats = (view, next) => {
  const available = [...view].sort((a, b) => a - b);
  const wanted = new Set();
  const count = Math.min(available.length, 1 + Math.floor(next() ** 2 * 4));
  while (wanted.size < count) wanted.add(available[Math.floor(available.length * next() ** 2.5)]);
  return wanted;
};

/**
 * The 5,000 buyers' ids as events hold them: plain (before #22), or encrypted under each buyer's key in the
 * database's privacy.user_keys, made by the service's own UserKeys (migrations run first).
 */
export const buyerIds = async (databaseUrl, encrypted) => {
  const plain = (i) => `user-${i % 5000}`;
  if (!encrypted) return plain;
  const [{ DataSource }, { migrations }, { validateEnvironment }, { UserKeys }] = await Promise.all([
    import('typeorm'), import('../dist/migrations/all.js'), import('../dist/src/config.js'), import('../dist/src/write/privacy/user-keys.js'),
  ]);
  const db = new DataSource({ type: 'postgres', url: databaseUrl, migrations, logging: false });
  await db.initialize();
  await db.runMigrations();
  const keys = new UserKeys(db, validateEnvironment({ DATABASE_URL: databaseUrl }));
  const ids = await Promise.all(Array.from({ length: 5000 }, (_, i) => keys.encryptedId(plain(i)))); // one statement for all
  await keys.close();
  await db.destroy();
  return (i) => ids[i % 5000];
};
