import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminRun, addDevice, addOperator, revokeDevice, runAdmin } from './support/admin-cli';
import {
  HttpAnswer,
  ServerProcess,
  cleanupServerProcesses,
  killServerProcesses,
  makeTempDir,
  request,
} from './support/server-process';

/**
 * The server binary's device and operator commands, run as an administrator
 * would, on a real store file; then with a running server (VIGIE_AUTH=required): what the
 * commands make and undo takes effect on the very next request, and the audit lines (issue 5
 * "Audit") come out with their stable codes. Build first: `npx nest build alert-server`.
 */

const PASSWORD = 'correct horse battery';
const TOKEN = /^vgd_[A-Za-z0-9_-]{43}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

/** Fails with everything the command printed. */
function expectExit(run: AdminRun, code: number): void {
  if (run.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
    );
  }
}

/** Every byte SQLite keeps for this store: the file, and its WAL if one is left. */
function storeBytes(sqlitePath: string): string {
  return ['', '-wal', '-journal']
    .map((suffix) => `${sqlitePath}${suffix}`)
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('');
}

/** Runs the commands a few at a time (each is a process loading the whole server bundle). */
async function runEach(
  sqlitePath: string,
  commands: Array<{ args: string[]; stdin?: string }>,
): Promise<AdminRun[]> {
  const runs: AdminRun[] = new Array<AdminRun>(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      runs[i] = await runAdmin(sqlitePath, commands[i].args, commands[i].stdin);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return runs;
}

function postAlert(server: ServerProcess, deviceId: string, token: string | null): Promise<HttpAnswer> {
  return request(
    server.url,
    'POST',
    '/alerts',
    { id: randomUUID(), deviceId, type: 'test' },
    { headers: token === null ? {} : { authorization: `Bearer ${token}` } },
  );
}

afterEach(killServerProcesses);
afterAll(cleanupServerProcesses);

describe('device commands', () => {
  let sqlitePath: string;
  let token: string;
  let add: AdminRun;

  beforeAll(async () => {
    sqlitePath = join(makeTempDir(), 'vigie.db');
    add = await runAdmin(sqlitePath, [
      'device',
      'add',
      'pi-accueil-01',
      '--location',
      'Accueil, rez-de-chaussée',
    ]);
    expectExit(add, 0);
    token = lines(add.stdout).at(-1)!;
  });

  it('device add prints the token once, alone on the last line, and exits 0', () => {
    expect(token).toMatch(TOKEN);
    const out = lines(add.stdout);
    expect(out.slice(0, -1).join('\n')).not.toContain(token.slice(4));
    expect(add.stdout).toContain('pi-accueil-01');
    expect(add.stderr).not.toContain(token.slice(4));
  });

  it('stores only a hash of the token: the store file does not hold the token', () => {
    const bytes = storeBytes(sqlitePath);
    expect(bytes).toContain(sha256(token));
    expect(bytes).not.toContain(token.slice(4));
  });

  it('device add for a device that has a token: exit 1, a clear message, no token', async () => {
    const again = await runAdmin(sqlitePath, ['device', 'add', 'pi-accueil-01']);
    expectExit(again, 1);
    expect(again.stderr).toMatch(/already has a token/);
    expect(again.stderr).toContain('device revoke pi-accueil-01');
    expect(again.stdout).not.toMatch(/vgd_/);
  });

  it('device list shows each device and its state, never a token or a hash', async () => {
    const second = await addDevice(sqlitePath, 'pi-cuisine');
    const list = await runAdmin(sqlitePath, ['device', 'list']);
    expectExit(list, 0);
    const rows = lines(list.stdout);
    expect(rows[0]).toMatch(/^ID\s+TOKEN\s+CREATED\s+LAST SEEN\s+LOCATION$/);
    expect(rows.find((row) => row.startsWith('pi-accueil-01'))).toMatch(
      /\bactive\b.*never\s+Accueil, rez-de-chaussée$/,
    );
    expect(rows.find((row) => row.startsWith('pi-cuisine'))).toMatch(/\bactive\b/);
    for (const secret of [token, second]) {
      expect(list.stdout).not.toContain(secret.slice(4));
      expect(list.stdout).not.toContain(sha256(secret));
    }
    expect(list.stdout).not.toMatch(/[0-9a-f]{32}/);
  });

  it('device revoke: exit 0 and listed as revoked; again, or for an unknown device: exit 1', async () => {
    await revokeDevice(sqlitePath, 'pi-cuisine');
    const list = await runAdmin(sqlitePath, ['device', 'list']);
    expect(lines(list.stdout).find((row) => row.startsWith('pi-cuisine'))).toMatch(
      /\brevoked \d{4}-\d{2}-\d{2}T/,
    );
    expect(lines(list.stdout).find((row) => row.startsWith('pi-accueil-01'))).toMatch(/\bactive\b/);

    const again = await runAdmin(sqlitePath, ['device', 'revoke', 'pi-cuisine']);
    expectExit(again, 1);
    expect(again.stderr).toMatch(/no active token/);
    const unknown = await runAdmin(sqlitePath, ['device', 'revoke', 'pi-nowhere']);
    expectExit(unknown, 1);
    expect(unknown.stderr).toMatch(/pi-nowhere/);
  });

  it('device add after a revoke makes a new token; the old one is gone from the store', async () => {
    const old = await addDevice(sqlitePath, 'pi-vol');
    await revokeDevice(sqlitePath, 'pi-vol');
    const renewed = await addDevice(sqlitePath, 'pi-vol');
    expect(renewed).toMatch(TOKEN);
    expect(renewed).not.toBe(old);
    const list = await runAdmin(sqlitePath, ['device', 'list']);
    expect(lines(list.stdout).find((row) => row.startsWith('pi-vol'))).toMatch(/\bactive\b/);
  });

  it('a location built to inject is stored and listed verbatim', async () => {
    const location = `<img src=x onerror=alert(1)>'); DROP TABLE devices;-- $(rm -rf /) \`id\``;
    const run = await runAdmin(sqlitePath, ['device', 'add', 'pi-inject', '--location', location]);
    expectExit(run, 0);
    const list = await runAdmin(sqlitePath, ['device', 'list']);
    expect(
      lines(list.stdout)
        .find((row) => row.startsWith('pi-inject'))!
        .endsWith(location),
    ).toBe(true);
    expect(lines(list.stdout).length).toBeGreaterThanOrEqual(5);
  });

  describe('a wrong command line: exit 64 with the usage on stderr, nothing done', () => {
    const cases: Array<[string[], RegExp]> = [
      [['device'], /device needs a command/],
      [['device', 'frobnicate'], /unknown command: device frobnicate/],
      [['device', 'add'], /expected one ID/],
      [['device', 'add', 'a', 'b'], /expected one ID/],
      [['device', 'add', 'bad id!'], /device id/],
      [['device', 'add', 'x'.repeat(65)], /device id/],
      [['device', 'add', 'pi-x', '--location'], /--location needs a value/],
      [['device', 'add', 'pi-x', '--location', 'x'.repeat(121)], /--location: at most 120 characters/],
      [['device', 'add', 'pi-x', '--location', 'Accueil\nrez'], /without control characters/],
      [['device', 'add', 'pi-x', '--token', 'mine'], /unknown option --token/],
      [['device', 'list', 'extra'], /takes no argument/],
      [['device', 'revoke'], /expected one ID/],
      [['device', 'enroll'], /expected one ID/],
      [['device', 'enroll', 'bad id!'], /device id/],
      [['device', 'enroll', 'pi-x', '--location', 'x'.repeat(121)], /--location: at most 120 characters/],
      [['device', 'enroll', 'pi-x', '--code', 'mine'], /unknown option --code/],
    ];
    let runs: AdminRun[];
    let bytesBefore: string;

    beforeAll(async () => {
      bytesBefore = storeBytes(sqlitePath);
      runs = await runEach(
        sqlitePath,
        cases.map(([args]) => ({ args })),
      );
    });

    it.each(cases.map(([args, message], index) => ({ args, message, index })))(
      '$args',
      ({ message, index }) => {
        const run = runs[index];
        expectExit(run, 64);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain('usage:');
        expect(run.stderr).toContain('main.js device add ID');
        expect(run.stdout).toBe('');
      },
    );

    it('left the store as it was', () => {
      expect(storeBytes(sqlitePath)).toBe(bytesBefore);
    });
  });
});

describe('device enroll', () => {
  it('prints the install command alone on its last line; its code enrolls the Pi once on the running server', async () => {
    const sqlitePath = join(makeTempDir(), 'vigie.db');
    const server = await ServerProcess.start({ sqlitePath, env: { VIGIE_AUTH: 'required' } });
    const run = await runAdmin(sqlitePath, ['device', 'enroll', 'pi-labo-07', '--location', 'Labo 7'], '', {
      VIGIE_PUBLIC_URL: 'https://poste.example.lan/',
    });
    expectExit(run, 0);
    const command = lines(run.stdout).at(-1)!;
    const match =
      /^curl -fsSL https:\/\/poste\.example\.lan\/agent\/install\.sh \| sudo sh -s -- (vge_[A-Za-z0-9_-]{43})$/.exec(
        command,
      );
    expect(match).not.toBeNull();
    const code = match![1];
    expect(storeBytes(sqlitePath)).not.toContain(code);

    const enrolled = await request(server.url, 'POST', '/devices/enroll', { code });
    expect(enrolled.status).toBe(201);
    const { deviceId, token, location } = enrolled.json as {
      deviceId: string;
      token: string;
      location: string;
    };
    expect({ deviceId, location }).toEqual({ deviceId: 'pi-labo-07', location: 'Labo 7' });
    expect((await postAlert(server, 'pi-labo-07', token)).status).toBe(201);
    expect((await request(server.url, 'POST', '/devices/enroll', { code })).status).toBe(401);
  });
});

describe('operator commands', () => {
  let sqlitePath: string;

  beforeAll(() => {
    sqlitePath = join(makeTempDir(), 'vigie.db');
  });

  it('operator add NAME --password-stdin: exit 0; only a scrypt hash is stored', async () => {
    const run = await runAdmin(sqlitePath, ['operator', 'add', 'Marie', '--password-stdin'], `${PASSWORD}\n`);
    expectExit(run, 0);
    expect(run.stdout).toMatch(/operator Marie added/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    const bytes = storeBytes(sqlitePath);
    expect(bytes).toMatch(/scrypt\$32768\$8\$1\$/);
    expect(bytes).not.toContain(PASSWORD);
  });

  it('the password is the first line of stdin, even without a line ending', async () => {
    const run = await runAdmin(sqlitePath, ['operator', 'add', 'Paul', '--password-stdin'], PASSWORD);
    expectExit(run, 0);
  });

  it('a password under 10 characters (or none): exit 1, the rule said, no operator made', async () => {
    const runs = await runEach(
      sqlitePath,
      ['short\n', '', '123456789\n', '\n'].map((stdin) => ({
        args: ['operator', 'add', 'Shorty', '--password-stdin'],
        stdin,
      })),
    );
    for (const run of runs) {
      expectExit(run, 1);
      expect(run.stderr).toMatch(/at least 10 characters/);
    }
    const list = await runAdmin(sqlitePath, ['operator', 'list']);
    expect(list.stdout).not.toContain('Shorty');
  });

  it('without --password-stdin: exit 64, saying why (no password on the command line)', async () => {
    const run = await runAdmin(sqlitePath, ['operator', 'add', 'Jeanne'], `${PASSWORD}\n`);
    expectExit(run, 64);
    expect(run.stderr).toMatch(/--password-stdin/);
    expect(run.stderr).toContain('usage:');
    const withPassword = await runAdmin(sqlitePath, ['operator', 'add', 'Jeanne', '--password', PASSWORD]);
    expectExit(withPassword, 64);
  });

  it('a name taken, however capitalised: exit 1', async () => {
    const runs = await runEach(
      sqlitePath,
      ['Marie', 'MARIE', ' marie '].map((name) => ({
        args: ['operator', 'add', name, '--password-stdin'],
        stdin: `${PASSWORD}\n`,
      })),
    );
    for (const run of runs) {
      expectExit(run, 1);
      expect(run.stderr).toMatch(/already exists/);
    }
  });

  it('operator list shows names, never a hash or a password', async () => {
    const list = await runAdmin(sqlitePath, ['operator', 'list']);
    expectExit(list, 0);
    const rows = lines(list.stdout);
    expect(rows[0]).toMatch(/^NAME\s+CREATED$/);
    expect(
      rows
        .slice(1)
        .map((row) => row.split(/\s{2,}/)[0])
        .sort(),
    ).toEqual(['Marie', 'Paul']);
    expect(list.stdout).not.toMatch(/scrypt|\$/);
    expect(list.stdout).not.toContain(PASSWORD);
  });

  it('operator remove: exit 0; again: exit 1', async () => {
    const run = await runAdmin(sqlitePath, ['operator', 'remove', 'paul']);
    expectExit(run, 0);
    const again = await runAdmin(sqlitePath, ['operator', 'remove', 'Paul']);
    expectExit(again, 1);
    expect(again.stderr).toMatch(/no operator named Paul/);
    const list = await runAdmin(sqlitePath, ['operator', 'list']);
    expect(list.stdout).not.toContain('Paul');
  });

  it('a wrong command line: exit 64 with the usage on stderr', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['operator'], /operator needs a command/],
      [['operator', 'delete', 'Marie'], /unknown command: operator delete/],
      [['operator', 'add', '--password-stdin'], /expected one NAME/],
      [['operator', 'list', 'x'], /takes no argument/],
      [['operator', 'remove'], /expected one NAME/],
    ];
    const runs = await runEach(
      sqlitePath,
      cases.map(([args]) => ({ args, stdin: `${PASSWORD}\n` })),
    );
    runs.forEach((run, index) => {
      expectExit(run, 64);
      expect(run.stderr).toMatch(cases[index][1]);
      expect(run.stderr).toContain('main.js operator add NAME --password-stdin');
    });
  });

  it('an unknown command word: exit 64 and says so on stderr, without starting the server', async () => {
    const run = await runAdmin(sqlitePath, ['frobnicate']);
    expectExit(run, 64);
    expect(run.stderr).toMatch(/unknown command: frobnicate/);
    expect(run.stderr).toContain('device add ID');
    expect(run.stdout).toBe('');
  });
});

describe('the commands against a running server (VIGIE_AUTH=required)', () => {
  it('a CLI token is accepted; revoked by the CLI, the next request is refused; audit lines say who and why', async () => {
    const sqlitePath = join(makeTempDir(), 'vigie.db');
    const before = await addDevice(sqlitePath, 'pi-before');
    await addOperator(sqlitePath, 'Marie', PASSWORD);
    const server = await ServerProcess.start({ sqlitePath, env: { VIGIE_AUTH: 'required' } });

    // Made before the server started, and while it runs.
    const during = await addDevice(sqlitePath, 'pi-during');
    expect((await postAlert(server, 'pi-before', before)).status).toBe(201);
    const accepted = await postAlert(server, 'pi-during', during);
    expect(accepted.status).toBe(201);

    // The refusals, one of each reason.
    expect((await postAlert(server, 'pi-during', null)).status).toBe(401);
    expect((await postAlert(server, 'pi-during', 'vgd_unknown')).status).toBe(401);
    expect((await postAlert(server, 'pi-during', before)).status).toBe(403);

    await revokeDevice(sqlitePath, 'pi-during');
    const revoked = await postAlert(server, 'pi-during', during);
    expect(revoked.status).toBe(401);
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer /);
    const beat = await request(
      server.url,
      'PUT',
      '/devices/pi-during/heartbeat',
      {},
      {
        headers: { authorization: `Bearer ${during}` },
      },
    );
    expect(beat.status).toBe(401);
    // The other device is untouched.
    expect((await postAlert(server, 'pi-before', before)).status).toBe(201);

    // Operators: a failed and a good sign-in, an acknowledgement, a sign-out.
    const failed = await request(server.url, 'POST', '/auth/login', {
      name: 'Marie',
      password: 'wrong password',
    });
    expect(failed.status).toBe(401);
    const login = await request(server.url, 'POST', '/auth/login', { name: 'Marie', password: PASSWORD });
    expect(login.status).toBe(204);
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0];
    const id = (accepted.json as { id: string }).id;
    const ack = await request(
      server.url,
      'POST',
      `/alerts/${id}/acknowledge`,
      { by: 'Mallory' },
      {
        headers: { cookie },
      },
    );
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ acknowledgedBy: 'Marie' });
    const resolve = await request(server.url, 'POST', `/alerts/${id}/resolve`, {}, { headers: { cookie } });
    expect(resolve.json).toMatchObject({ resolvedBy: 'Marie' });
    expect((await request(server.url, 'POST', '/auth/logout', {}, { headers: { cookie } })).status).toBe(204);
    expect((await request(server.url, 'GET', '/alerts', undefined, { headers: { cookie } })).status).toBe(
      401,
    );

    // An operator added by the CLI while the server runs signs in; removed by the CLI, their session ends.
    await addOperator(sqlitePath, 'Paul', PASSWORD);
    const paul = await request(server.url, 'POST', '/auth/login', { name: 'Paul', password: PASSWORD });
    expect(paul.status).toBe(204);
    const paulCookie = String(paul.headers['set-cookie']?.[0]).split(';')[0];
    expect(
      (await request(server.url, 'GET', '/alerts', undefined, { headers: { cookie: paulCookie } })).status,
    ).toBe(200);
    const removed = await runAdmin(sqlitePath, ['operator', 'remove', 'Paul']);
    expectExit(removed, 0);
    expect(
      (await request(server.url, 'GET', '/alerts', undefined, { headers: { cookie: paulCookie } })).status,
    ).toBe(401);

    // The audit lines, each with its stable code.
    const audit = (code: string, fields: Record<string, unknown>) =>
      server.waitForLine(
        (line) => {
          try {
            const entry = JSON.parse(line) as Record<string, unknown>;
            return (
              entry.code === code && Object.entries(fields).every(([key, value]) => entry[key] === value)
            );
          } catch {
            return false;
          }
        },
        5_000,
        `a ${code} line with ${JSON.stringify(fields)}`,
      );
    for (const [reason, deviceId, tokenDeviceId] of [
      ['missing', 'pi-during', null],
      ['unknown', 'pi-during', null],
      ['other_device', 'pi-during', 'pi-before'],
      ['revoked', 'pi-during', 'pi-during'],
    ] as const) {
      const line = JSON.parse(
        await audit('DEVICE_TOKEN_REFUSED', { reason, deviceId, tokenDeviceId }),
      ) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'warn', address: '127.0.0.1', route: 'POST /alerts' });
    }
    await audit('DEVICE_TOKEN_REFUSED', { reason: 'revoked', route: 'PUT /devices/pi-during/heartbeat' });
    await audit('OPERATOR_SIGN_IN_FAILED', { name: 'Marie', address: '127.0.0.1', recentFailures: 1 });
    await audit('OPERATOR_SIGNED_IN', { operator: 'Marie', address: '127.0.0.1' });
    await audit('OPERATOR_SIGNED_IN', { operator: 'Paul' });
    await audit('ALERT_ACKNOWLEDGED', { alertId: id, by: 'Marie' });
    await audit('ALERT_RESOLVED', { alertId: id, by: 'Marie' });
    await audit('OPERATOR_SIGNED_OUT', { operator: 'Marie' });

    // No secret is ever written to the log.
    const output = server.stdoutLines.join('\n') + server.stderrLines.join('\n');
    for (const secret of [
      before.slice(4),
      during.slice(4),
      PASSWORD,
      'wrong password',
      cookie.split('=')[1],
    ]) {
      expect(output).not.toContain(secret);
    }

    await server.stop();
  });

  it('a device re-added after a revoke: the new token works, the old stays refused, across a restart', async () => {
    const sqlitePath = join(makeTempDir(), 'vigie.db');
    const old = await addDevice(sqlitePath, 'pi-vol');
    let server = await ServerProcess.start({ sqlitePath, env: { VIGIE_AUTH: 'required' } });
    expect((await postAlert(server, 'pi-vol', old)).status).toBe(201);
    await revokeDevice(sqlitePath, 'pi-vol');
    const renewed = await addDevice(sqlitePath, 'pi-vol');
    expect((await postAlert(server, 'pi-vol', old)).status).toBe(401);
    expect((await postAlert(server, 'pi-vol', renewed)).status).toBe(201);

    await server.stop();
    server = await ServerProcess.start({ sqlitePath, env: { VIGIE_AUTH: 'required' } });
    expect((await postAlert(server, 'pi-vol', old)).status).toBe(401);
    expect((await postAlert(server, 'pi-vol', renewed)).status).toBe(201);
    await server.stop();
  });
});
