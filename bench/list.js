'use strict';
/**
 * bench:list. GET /alerts on a store holding a year of alerts (1,000,000 by default): the
 * server makes the schema, the rows are written straight into the file, then the built server
 * is loaded with the dashboard's queries. The seeded file is kept in the temp folder and
 * reused while the schema is unchanged (BENCH_FRESH=1 regenerates it).
 */
const { createHash } = require('node:crypto');
const {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { load, summarize } = require('./lib/load');
const { print, machine, machineLine, table, ms, rate, verdict } = require('./lib/report');
const { seed } = require('./lib/seed');
const { assertServerBuilt, startAlertServer } = require('./lib/server-process');

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
/**
 * One connection gives the time a page takes to serve; sixteen saturate the server, so their
 * latency is mostly queueing behind the other fifteen (p50 ≈ 16 / throughput).
 */
const CONNECTION_LEVELS = (process.env.BENCH_CONNECTIONS ?? '1,16').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const TARGET_P99_MS = 20;
/** Bump when lib/seed.js changes what it writes, so a cached file is not reused. */
const SEED_VERSION = 1;
const CACHE_DIR = path.join(os.tmpdir(), 'vigie-bench');
const DEVICE = 'pi-labo-05';

/** The schema the server makes, as a key: a migration added later invalidates the cache. */
function schemaKey(sqlitePath) {
  const db = new Database(sqlitePath, { fileMustExist: true });
  // Everything in the main file, so that copying it alone copies the schema.
  db.pragma('wal_checkpoint(TRUNCATE)');
  const ddl = db.prepare('select type, name, sql from sqlite_master order by type, name').all();
  const migrations = db.prepare('select name from kysely_migration order by name').pluck().all();
  db.close();
  const fingerprint = JSON.stringify({ ddl, migrations, SEED_VERSION, ROWS });
  return createHash('sha256').update(fingerprint).digest('hex').slice(0, 12);
}

/** A store with ROWS alerts: from the cache, or made now (schema by the server, rows by us). */
async function seededStore() {
  mkdirSync(CACHE_DIR, { recursive: true });
  const scratch = mkdtempSync(path.join(CACHE_DIR, 'schema-'));
  try {
    const schemaPath = path.join(scratch, 'schema.db');
    const server = await startAlertServer(schemaPath);
    await server.stop();
    const key = schemaKey(schemaPath);
    const storePath = path.join(CACHE_DIR, `list-${ROWS}-${key}.db`);
    if (existsSync(storePath) && !process.env.BENCH_FRESH) {
      print(`Store: ${ROWS.toLocaleString('en-US')} alerts, reused from ${storePath}`);
      return storePath;
    }
    for (const name of readdirSync(CACHE_DIR)) {
      if (name.startsWith('list-')) rmSync(path.join(CACHE_DIR, name), { force: true });
    }
    const partial = `${storePath}.partial`;
    copyFileSync(schemaPath, partial);
    const started = Date.now();
    print(`Store: generating ${ROWS.toLocaleString('en-US')} alerts (cached for the next runs)...`);
    const progress = process.stdout.isTTY
      ? (done) => process.stdout.write(`\r${done.toLocaleString('en-US')} alerts`)
      : () => {};
    seed(partial, ROWS, progress);
    renameSync(partial, storePath);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    print(`${process.stdout.isTTY ? '\r' : ''}Store: generated in ${seconds} s into ${storePath}`);
    return storePath;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function getJson(url) {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Cursors taken from real pages: page 2, and one 10,000 alerts down (20 pages of 500). */
async function cursors(base) {
  const page2 = (await getJson(`${base}/alerts?limit=50`)).nextCursor;
  let deep = null;
  for (let page = 0; page < 20; page++) {
    deep = (await getJson(`${base}/alerts?limit=500${deep ? `&before=${deep}` : ''}`)).nextCursor;
  }
  return { page2, deep };
}

async function main() {
  assertServerBuilt();
  const info = machine();
  const started = Date.now();
  const levels = CONNECTION_LEVELS.join(' and ');
  print(`# bench:list: GET /alerts?limit=50 and filters, ${levels} connections, ${SECONDS} s each`);
  print(`(after a ${WARMUP_SECONDS} s warm-up each, on ${ROWS.toLocaleString('en-US')} stored alerts)`);
  print(machineLine(info, info.load));
  const storePath = await seededStore();

  const server = await startAlertServer(storePath);
  const rows = [];
  let allOk = true;
  try {
    const { page2, deep } = await cursors(server.url);
    const queries = [
      ['newest page', '/alerts?limit=50'],
      ['status=open', '/alerts?status=open&limit=50'],
      [`deviceId=${DEVICE}`, `/alerts?deviceId=${DEVICE}&limit=50`],
      ['before=cursor of page 1', `/alerts?limit=50&before=${page2}`],
      ['before=cursor 10,000 down', `/alerts?limit=50&before=${deep}`],
      [`status=open&deviceId=${DEVICE}`, `/alerts?status=open&deviceId=${DEVICE}&limit=50`],
    ];
    for (const [name, query] of queries) {
      const { items } = await getJson(`${server.url}${query}`);
      for (const connections of CONNECTION_LEVELS) {
        const options = { url: server.url, path: query, connections, cpu: server.cpuMs };
        await load({ ...options, seconds: WARMUP_SECONDS });
        const result = summarize(await load({ ...options, seconds: SECONDS }));
        const ok = result.p99 <= TARGET_P99_MS && result.failed === 0;
        allOk &&= ok;
        const cpu = ms(result.cpuMsPerRequest, 2);
        const cells = [rate(result.rps), ms(result.p50), ms(result.p99), cpu, result.failed, verdict(ok)];
        rows.push([`\`${name}\``, items.length, connections, ...cells]);
        print(
          `${name.padEnd(34)} ${String(connections).padStart(2)} conn. ${rate(result.rps).padStart(6)} req/s` +
            `  p50 ${ms(result.p50)}  p99 ${ms(result.p99)}  CPU ${cpu}/req  errors ${result.failed}`,
        );
      }
    }
  } finally {
    await server.stop();
  }

  print();
  print(machineLine(info));
  print();
  const header = [
    `GET /alerts, ${ROWS.toLocaleString('en-US')} alerts`,
    'items',
    'conn.',
    'req/s',
    'p50',
    'p99',
  ];
  const verdictHeader = `p99 ≤ ${TARGET_P99_MS} ms`;
  print(
    table(
      [...header, 'CPU per request', 'errors', verdictHeader],
      rows.map((row) => row.map(String)),
    ),
  );
  print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (!allOk) process.exitCode = 1;
}

module.exports = { main };
