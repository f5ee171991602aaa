'use strict';
/**
 * Device tokens for the benchmark's devices, so the server is measured as it runs in
 * production (VIGIE_AUTH=required: every POST /alerts checks its device's token). The first
 * device goes through the real `device add` command, which also creates the store and its
 * schema; the others are written straight into the store the same way (SHA-256 of a random
 * token), since 200 runs of the command would take a minute.
 */
const { execFileSync } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const Database = require('better-sqlite3');
const { DEVICES } = require('./alert-data');
const { SERVER_MAIN } = require('./server-process');

/**
 * @returns {Map<string, string>} device id → token, for every device given (alert-data's by default).
 * `main`: the built server whose command adds the first (a copy of the build).
 */
function provisionDeviceTokens(sqlitePath, devices = DEVICES, main = SERVER_MAIN) {
  const tokens = new Map();
  const [first, ...others] = devices;
  const output = execFileSync(process.execPath, [main, 'device', 'add', first.id], {
    env: { ...process.env, VIGIE_SQLITE_PATH: sqlitePath, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  tokens.set(first.id, output.trimEnd().split('\n').at(-1));

  const db = new Database(sqlitePath);
  const insert = db.prepare(
    'insert into device_credentials (device_id, token_hash, location, created_at, revoked_at) values (?, ?, ?, ?, null)',
  );
  const now = new Date().toISOString();
  db.transaction(() => {
    for (const device of others) {
      const token = `vgd_${randomBytes(32).toString('base64url')}`;
      insert.run(device.id, createHash('sha256').update(token).digest('hex'), device.location, now);
      tokens.set(device.id, token);
    }
  })();
  db.close();
  return tokens;
}

/** `operator add NAME --password-stdin`, through the real command. */
function addOperator(sqlitePath, name, password) {
  execFileSync(process.execPath, [SERVER_MAIN, 'operator', 'add', name, '--password-stdin'], {
    env: { ...process.env, VIGIE_SQLITE_PATH: sqlitePath, LOG_LEVEL: 'warn' },
    input: `${password}\n`,
    encoding: 'utf8',
  });
}

/**
 * `count` signed-in sessions of operator `name` (made by addOperator), written straight into the
 * store as POST /auth/login would (the SHA-256 of a random `vgs_` secret): sign-ins are limited
 * to ten a minute per address, and a session may hold only a few streams.
 * @returns {string[]} the `cookie` header of each
 */
function addSessions(sqlitePath, name, count) {
  const db = new Database(sqlitePath);
  const insert = db.prepare(
    'insert into sessions (id_hash, operator_id, created_at, expires_at) values (?, ?, ?, ?)',
  );
  const now = new Date();
  const expires = new Date(now.getTime() + 24 * 3600_000).toISOString();
  const cookies = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const secret = `vgs_${randomBytes(32).toString('base64url')}`;
      insert.run(
        createHash('sha256').update(secret).digest('hex'),
        name.trim().toLowerCase(),
        now.toISOString(),
        expires,
      );
      cookies.push(`vigie_session=${secret}`);
    }
  })();
  db.close();
  return cookies;
}

module.exports = { addOperator, addSessions, provisionDeviceTokens };
