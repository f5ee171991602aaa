import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AgentProcess,
  LogEntry,
  cleanupAgentProcesses,
  freePort,
  listSpoolFiles,
  makeAgentTempDir,
  waitUntil,
} from './support/agent-process';
import { REPO_ROOT, ServerProcess, cleanupServerProcesses, request } from './support/server-process';

/**
 * The button agent and the alert server as they run in production, real processes only; the
 * hardware is the one thing simulated: the keyboard driver is the lab's button.
 * Build first: `npx nest build alert-server && npx nest build button-agent`.
 */

type Alert = Record<string, unknown> & { id: string };
type Device = Record<string, unknown> & { id: string };

const AGENT_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** No authentication yet on the lab bench; explicit so the tests keep working once it exists. */
const startServer = (env: Record<string, string> = {}) =>
  ServerProcess.start({ env: { VIGIE_AUTH: 'off', ...env } });

async function alertsOf(server: ServerProcess, deviceId: string): Promise<Alert[]> {
  const answer = await request(server.url, 'GET', `/alerts?deviceId=${deviceId}&limit=500`);
  expect(answer.status).toBe(200);
  return (answer.json as { items: Alert[] }).items;
}

async function deviceOf(server: ServerProcess, deviceId: string): Promise<Device | undefined> {
  const answer = await request(server.url, 'GET', '/devices');
  expect(answer.status).toBe(200);
  return (answer.json as Device[]).find((device) => device.id === deviceId);
}

const ids = (entries: LogEntry[]) => entries.map((entry) => entry.alertId as string);

afterEach(async () => {
  // Agents first: their spool folders are removed with them.
  await cleanupAgentProcesses();
  await cleanupServerProcesses();
});

describe('button agent and alert server, real processes', () => {
  it('a press becomes an alert on the server, with the id the agent gave it', async () => {
    const server = await startServer();
    const agent = await AgentProcess.start({
      serverUrl: server.url,
      deviceId: 'pi-accueil-01',
      env: {
        VIGIE_BUTTONS: '17:fire:Accueil,27:intrusion:Porte arrière',
        VIGIE_LOCATION: 'Accueil, rez-de-chaussée',
      },
    });

    agent.press('Porte arrière');
    const [pressed] = await agent.waitForEvent('button.pressed');
    expect(pressed).toMatchObject({ pin: 27, type: 'intrusion', label: 'Porte arrière' });
    const id = pressed.alertId as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await agent.waitForEvent('alert.spooled', { match: (entry) => entry.alertId === id });
    await agent.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === id });

    const stored = (await alertsOf(server, 'pi-accueil-01'))[0];
    expect(await alertsOf(server, 'pi-accueil-01')).toEqual([stored]);
    expect(stored).toMatchObject({
      id,
      deviceId: 'pi-accueil-01',
      type: 'intrusion',
      severity: 'critical',
      button: 'Porte arrière',
      location: 'Accueil, rez-de-chaussée',
      status: 'open',
    });
    expect(Date.parse(stored.triggeredAt as string)).toBeLessThanOrEqual(
      Date.parse(stored.receivedAt as string),
    );
    expect(agent.spoolFiles()).toEqual([]);

    // An empty line presses the first button.
    agent.press();
    const [second] = await agent.waitForEvent('alert.delivered', { match: (entry) => entry.alertId !== id });
    const alerts = await alertsOf(server, 'pi-accueil-01');
    expect(alerts.map((alert) => alert.id).sort()).toEqual([id, second.alertId].sort());
    expect(alerts.find((alert) => alert.id === second.alertId)).toMatchObject({
      type: 'fire',
      button: 'Accueil',
    });

    // Heartbeats make the device known and online, with what the agent reports.
    const device = await waitUntil(async () => {
      const found = await deviceOf(server, 'pi-accueil-01');
      return found?.spoolDepth === 0 && found.agentVersion === AGENT_VERSION ? found : undefined;
    }, 'the device online with its agent version and an empty spool');
    expect(device).toMatchObject({ status: 'online', location: 'Accueil, rez-de-chaussée' });

    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(agent.spoolFiles()).toEqual([]);
  });

  it('presses made while the server is down survive a SIGKILL and arrive exactly once', async () => {
    const presses = 5;
    const port = await freePort(); // nothing listens there yet; the server comes back on it
    const serverUrl = `http://127.0.0.1:${port}`;
    const spoolDir = join(makeAgentTempDir(), 'spool');
    const deviceId = 'pi-outage-01';

    const first = await AgentProcess.start({ serverUrl, deviceId, spoolDir });
    for (let n = 1; n <= presses; n++) {
      first.press();
      // One press at a time: distinct press times, so the order of the presses is known.
      await first.waitForEvent('alert.spooled', { count: n });
    }
    const pressed = ids(first.events('button.pressed'));
    const spooled = ids(first.events('alert.spooled'));
    expect(new Set(pressed).size).toBe(presses);
    expect([...spooled].sort()).toEqual([...pressed].sort());
    expect(listSpoolFiles(spoolDir)).toEqual(pressed.map((id) => `${id}.json`).sort());
    // The agent is trying, and says why it cannot deliver.
    await first.waitForEvent('alert.delivery_failed', { match: (entry) => entry.code === 'ECONNREFUSED' });
    expect(first.events('alert.delivered')).toEqual([]);

    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(listSpoolFiles(spoolDir)).toEqual(pressed.map((id) => `${id}.json`).sort());

    const second = await AgentProcess.start({ serverUrl, deviceId, spoolDir });
    expect(second.events('agent.ready')[0]).toMatchObject({ spoolDepth: presses });
    const server = await startServer({ PORT: String(port) });
    expect(server.port).toBe(port);

    const delivered = await second.waitForEvent('alert.delivered', { count: presses, timeoutMs: 20_000 });
    expect(ids(delivered)).toEqual(pressed); // oldest press first
    const stored = await alertsOf(server, deviceId);
    expect(stored.map((alert) => alert.id).sort()).toEqual([...pressed].sort());
    for (const alert of stored) expect(alert).toMatchObject({ deviceId, type: 'panic', button: '17' });
    expect(listSpoolFiles(spoolDir)).toEqual([]);

    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(second.events('agent.stopped')[0]).toMatchObject({ spoolDepth: 0 });
    // Nothing more arrived while stopping: still exactly the presses.
    expect((await alertsOf(server, deviceId)).map((alert) => alert.id).sort()).toEqual([...pressed].sort());
  });

  describe('doctor', () => {
    const doctorLines = (agent: AgentProcess) => agent.stdoutLines.filter((line) => line.trim() !== '');

    it('names ECONNREFUSED on its tcp line and exits 1 when the server is down', async () => {
      const port = await freePort();
      const agent = await AgentProcess.runToExit({
        command: 'doctor',
        serverUrl: `http://127.0.0.1:${port}`,
      });
      expect(agent.exitResult).toEqual({ code: 1, signal: null });
      const tcp = doctorLines(agent).find((line) => /^(OK|FAIL)\s+tcp\b/.test(line));
      expect(tcp).toMatch(/^FAIL\s+tcp\s.*ECONNREFUSED/);
      // The line says what it means and what to try, not just the code.
      expect(tcp).toContain('Try:');
    });

    it('passes every step and exits 0 when the server is up', async () => {
      const server = await startServer();
      const agent = await AgentProcess.runToExit({ command: 'doctor', serverUrl: server.url });
      const lines = doctorLines(agent);
      expect(lines.map((line) => line.split(/\s+/)[1])).toEqual(
        expect.arrayContaining(['config', 'gpio', 'dns', 'tcp', 'http', 'credentials', 'spool']),
      );
      for (const line of lines) expect(line).toMatch(/^OK\s/);
      expect(agent.exitResult).toEqual({ code: 0, signal: null });
    });

    it('prints a FAIL config line and exits 1 without VIGIE_SERVER_URL', async () => {
      const agent = await AgentProcess.runToExit({ command: 'doctor' });
      expect(agent.exitResult).toEqual({ code: 1, signal: null });
      expect(doctorLines(agent)).toEqual([expect.stringMatching(/^FAIL\s+config\s.*VIGIE_SERVER_URL/)]);
    });
  });

  describe('send and the exit codes', () => {
    it('send exits 0 once the server accepted the alert', async () => {
      const server = await startServer();
      const message = 'Fumée dans le local technique';
      const agent = await AgentProcess.runToExit({
        command: 'send',
        args: ['fire', '--message', message, '--wait', '5'],
        serverUrl: server.url,
        deviceId: 'pi-send-01',
      });
      expect(agent.exitResult).toEqual({ code: 0, signal: null });
      const [spooled] = agent.events('alert.spooled');
      const answer = await request(server.url, 'GET', `/alerts/${spooled.alertId as string}`);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        deviceId: 'pi-send-01',
        type: 'fire',
        severity: 'critical',
        message,
      });
      expect(await alertsOf(server, 'pi-send-01')).toHaveLength(1);
      expect(agent.spoolFiles()).toEqual([]);
    });

    it('send exits 75 with the server down, and a later run delivers what it spooled', async () => {
      const port = await freePort();
      const spoolDir = join(makeAgentTempDir(), 'spool');
      const message = 'Malaise au 2e étage';
      const send = await AgentProcess.runToExit({
        command: 'send',
        args: ['medical', '--message', message, '--wait', '1'],
        serverUrl: `http://127.0.0.1:${port}`,
        deviceId: 'pi-send-02',
        spoolDir,
      });
      expect(send.exitResult).toEqual({ code: 75, signal: null });
      const id = send.events('alert.spooled')[0]?.alertId as string;
      expect(listSpoolFiles(spoolDir)).toEqual([`${id}.json`]);
      const record = JSON.parse(readFileSync(join(spoolDir, `${id}.json`), 'utf8')) as { alert: unknown };
      expect(record.alert).toMatchObject({ id, deviceId: 'pi-send-02', type: 'medical', message });

      // A file torn by a crash, first in line: set aside and logged, never a reason to stop.
      const torn = '00000000-0000-7000-8000-000000000000.json';
      writeFileSync(join(spoolDir, torn), '{"version":1,"spooledAt":"2026-');

      const server = await startServer();
      const run = await AgentProcess.start({ serverUrl: server.url, deviceId: 'pi-send-02', spoolDir });
      await run.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === id });
      expect(run.events('alert.delivered')).toHaveLength(1);
      expect(run.entries.find((entry) => entry.code === 'SPOOL_FILE_UNREADABLE')).toMatchObject({
        level: 'error',
        file: torn,
        reason: expect.any(String),
      });
      expect(readdirSync(join(spoolDir, 'unreadable'))).toEqual([torn]);
      const answer = await request(server.url, 'GET', `/alerts/${id}`);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ id, deviceId: 'pi-send-02', type: 'medical', message });
      expect(listSpoolFiles(spoolDir)).toEqual([]);
      expect(await run.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    });

    it('send with an unknown alert type exits 64 and spools nothing', async () => {
      const server = await startServer();
      const agent = await AgentProcess.runToExit({
        command: 'send',
        args: ['flood'],
        serverUrl: server.url,
        deviceId: 'pi-send-03',
      });
      expect(agent.exitResult).toEqual({ code: 64, signal: null });
      expect(agent.stderrLines.join('\n')).toMatch(/fire, intrusion, medical, panic, test/);
      expect(agent.spoolFiles()).toEqual([]);
      expect(await alertsOf(server, 'pi-send-03')).toEqual([]);
    });

    it('run with a bad configuration exits 78 with a line naming the variable', async () => {
      const agent = await AgentProcess.runToExit({
        command: 'run',
        serverUrl: 'http://127.0.0.1:9',
        env: { VIGIE_BUTTONS: '99:flood' },
      });
      expect(agent.exitResult).toEqual({ code: 78, signal: null });
      expect(agent.stderrLines.some((line) => line.includes('VIGIE_BUTTONS'))).toBe(true);
      expect(agent.events('agent.ready')).toEqual([]);
    });
  });
});
