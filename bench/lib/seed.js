'use strict';
/**
 * Fills an alert server's SQLite file (schema already made by the server's own migrations)
 * with a year of alerts, written straight through better-sqlite3: ~200 devices, the
 * contract's types and statuses, receivedAt spread over a year, UUIDv7 ids from receivedAt.
 */
const Database = require('better-sqlite3');
const { DEVICES, MESSAGES, BUTTONS, TYPE_TABLE, uuidv7, pick } = require('./alert-data');

const ROWS_PER_TRANSACTION = 50_000;
const YEAR_MS = 365 * 24 * 3600 * 1000;
const OPERATORS = ['Marie', 'Karim', 'Sophie', 'Luc', 'Nadia', 'Thomas'];
const NOTES = ['Fausse alerte', 'Pompiers prévenus, intervention terminée', 'Essai concluant', null];

/** Recent alerts are still being handled; older ones are nearly all resolved. */
function statusFor(ageMs) {
  const r = Math.random();
  if (ageMs < 24 * 3600 * 1000) return r < 0.3 ? 'open' : r < 0.6 ? 'acknowledged' : 'resolved';
  return r < 0.01 ? 'open' : r < 0.03 ? 'acknowledged' : 'resolved';
}

function row(receivedMs, now) {
  const device = pick(DEVICES);
  const type = pick(TYPE_TABLE);
  const status = statusFor(now - receivedMs);
  const receivedAt = new Date(receivedMs).toISOString();
  const acknowledgedMs = receivedMs + 5_000 + Math.floor(Math.random() * 120_000);
  const resolvedMs = acknowledgedMs + Math.floor(Math.random() * 1_800_000);
  const handled = status !== 'open';
  const resolved = status === 'resolved';
  return {
    id: uuidv7(receivedMs),
    device_id: device.id,
    type,
    severity: type === 'test' ? 'info' : Math.random() < 0.1 ? 'warning' : 'critical',
    location: device.location,
    message: Math.random() < 0.8 ? MESSAGES[type] : null,
    button: BUTTONS[type],
    triggered_at: new Date(receivedMs - 5 - Math.floor(Math.random() * 500)).toISOString(),
    triggered_at_from_device: 1,
    received_at: receivedAt,
    status,
    acknowledged_at: handled ? new Date(acknowledgedMs).toISOString() : null,
    acknowledged_by: handled ? pick(OPERATORS) : null,
    acknowledgement_note: handled && Math.random() < 0.3 ? 'Je m’en occupe' : null,
    resolved_at: resolved ? new Date(resolvedMs).toISOString() : null,
    resolved_by: resolved ? pick(OPERATORS) : null,
    resolution_note: resolved ? pick(NOTES) : null,
  };
}

/**
 * Appends `count` alerts received over the last year, oldest first (the order the server
 * writes them), and the devices they came from.
 */
function seed(sqlitePath, count, onProgress = () => {}) {
  const db = new Database(sqlitePath);
  // A bulk load of a throwaway file: durability does not matter until the final checkpoint.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  // Building the indexes once at the end is faster than keeping them up to date row by row;
  // they are rebuilt from the server's own DDL, so the schema stays exactly the server's.
  const indexes = db
    .prepare(
      "select name, sql from sqlite_master where type = 'index' and tbl_name = 'alerts' and sql is not null",
    )
    .all();
  for (const index of indexes) db.exec(`drop index "${index.name}"`);
  const columns = Object.keys(row(0, 0));
  const insert = db.prepare(
    `insert into alerts (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`,
  );
  const now = Date.now();
  const start = now - YEAR_MS;
  const step = YEAR_MS / count;
  const insertMany = db.transaction((from, to) => {
    for (let i = from; i < to; i++) insert.run(row(Math.floor(start + i * step + Math.random() * step), now));
  });
  for (let from = 0; from < count; from += ROWS_PER_TRANSACTION) {
    insertMany(from, Math.min(count, from + ROWS_PER_TRANSACTION));
    onProgress(Math.min(count, from + ROWS_PER_TRANSACTION));
  }

  for (const index of indexes) db.exec(index.sql);

  const lastSeen = new Date(now - 60_000).toISOString();
  const firstSeen = new Date(start).toISOString();
  const device = db.prepare(
    `insert or replace into devices (id, location, agent_version, spool_depth, uptime_seconds, first_seen_at, last_seen_at)
     values (?, ?, '1.0.0', 0, 86400, ?, ?)`,
  );
  db.transaction(() => DEVICES.forEach((d) => device.run(d.id, d.location, firstSeen, lastSeen)))();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

module.exports = { seed };
