import {
  AgentProcess,
  LogEntry,
  cleanupAgentProcesses,
  makeAgentTempDir,
  waitUntil,
} from './support/agent-process';
import { dirname } from 'node:path';
import { FakeGpiosetTools } from '../apps/button-agent/src/feedback/fixtures/fake-gpioset-tools';
import { ServerProcess, cleanupServerProcesses, request } from './support/server-process';

/**
 * The button answers back (contract §8): the real agent (keyboard driver) and the real server,
 * as processes. What the agent would show on its light is read from its `feedback.state` lines.
 * Build first: `npm run build`.
 */

const HEARTBEAT_S = 1;

const startServer = () => ServerProcess.start({ env: { VIGIE_AUTH: 'off' } });

/** The states logged after the `skip` first ones, as `state alertId` (or `state` alone). */
function statesOf(agent: AgentProcess, skip = 0): string[] {
  return agent
    .events('feedback.state')
    .slice(skip)
    .map((entry: LogEntry) =>
      entry.alertId ? `${entry.state as string} ${entry.alertId as string}` : (entry.state as string),
    );
}

function waitForState(agent: AgentProcess, state: string, alertId: string | null = null, timeoutMs = 10_000) {
  return agent.waitForEvent('feedback.state', {
    match: (entry) => entry.state === state && (alertId === null || entry.alertId === alertId),
    timeoutMs,
  });
}

async function handle(server: ServerProcess, alertId: string, action: 'acknowledge' | 'resolve') {
  const answer = await request(server.url, 'POST', `/alerts/${alertId}/${action}`, { by: 'Marie' });
  expect(answer.status).toBe(200);
}

/** The `device.feedback` entries of the alert's timeline: what the button reported it showed. */
async function shownOnTheButton(server: ServerProcess, alertId: string): Promise<string[]> {
  const answer = await request(server.url, 'GET', `/alerts/${alertId}/timeline`);
  expect(answer.status).toBe(200);
  return (answer.json as Array<{ kind: string; detail?: string }>)
    .filter((entry) => entry.kind === 'device.feedback')
    .map((entry) => entry.detail!);
}

afterEach(async () => {
  await cleanupAgentProcesses();
  await cleanupServerProcesses();
});

describe('the button answers back: feedback states of the real agent', () => {
  it('a press shows spooled then stored; the acknowledgement on the API shows acknowledged; the resolution resolved', async () => {
    const server = await startServer();
    const agent = await AgentProcess.start({ serverUrl: server.url, deviceId: 'pi-feedback-1' });
    await waitForState(agent, 'idle');
    const before = agent.events('feedback.state').length;

    agent.press();
    const [pressed] = await agent.waitForEvent('button.pressed');
    const alertId = pressed.alertId as string;
    await waitForState(agent, 'stored', alertId);
    await handle(server, alertId, 'acknowledge');
    await waitForState(agent, 'acknowledged', alertId);
    await handle(server, alertId, 'resolve');
    await waitForState(agent, 'resolved', alertId);

    expect(statesOf(agent, before)).toEqual([
      `spooled ${alertId}`,
      `stored ${alertId}`,
      `acknowledged ${alertId}`,
      `resolved ${alertId}`,
    ]);
    // The security post knows the person was told: the agent reported both with its heartbeats.
    await waitUntil(
      async () => (await shownOnTheButton(server, alertId)).length === 2,
      'stored and acknowledged in the timeline',
    );
    expect(await shownOnTheButton(server, alertId)).toEqual(['stored', 'acknowledged']);
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
  });

  it('shows unreachable within two heartbeat periods of the server stopping, and idle once it is back', async () => {
    const server = await startServer();
    const agent = await AgentProcess.start({
      serverUrl: server.url,
      deviceId: 'pi-feedback-2',
      env: { VIGIE_HEARTBEAT_S: String(HEARTBEAT_S) },
    });
    await waitForState(agent, 'idle');

    const stoppedAt = Date.now();
    await server.stop();
    const [unreachable] = await waitForState(agent, 'unreachable', null, 2 * HEARTBEAT_S * 1000 + 2000);
    expect(unreachable.alertId).toBeNull();
    expect(Date.parse(unreachable.time as string) - stoppedAt).toBeLessThanOrEqual(2 * HEARTBEAT_S * 1000);
    const seen = agent.events('feedback.state').length;

    // A heartbeat answered just before the stop may still bring `idle` back for a moment; what
    // counts is that the button shows `idle` once the server is back, and stays so.
    await ServerProcess.start({ env: { VIGIE_AUTH: 'off', PORT: String(server.port) } });
    await waitUntil(() => statesOf(agent, seen).at(-1) === 'idle', 'idle once the server is back');
    await new Promise((resolve) => setTimeout(resolve, 2 * HEARTBEAT_S * 1000));
    expect(statesOf(agent, seen).at(-1)).toBe('idle');
  });

  it('restarted between the press and the acknowledgement, it shows stored, then acknowledged when it comes', async () => {
    const server = await startServer();
    const spoolDir = makeAgentTempDir();
    const first = await AgentProcess.start({ serverUrl: server.url, deviceId: 'pi-feedback-3', spoolDir });
    first.press();
    const [pressed] = await first.waitForEvent('button.pressed');
    const alertId = pressed.alertId as string;
    await waitForState(first, 'stored', alertId);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const second = await AgentProcess.start({ serverUrl: server.url, deviceId: 'pi-feedback-3', spoolDir });
    await waitForState(second, 'stored', alertId);
    await handle(server, alertId, 'acknowledge');
    await waitForState(second, 'acknowledged', alertId);
    expect(statesOf(second).filter((state) => state !== 'idle')).toEqual([
      `stored ${alertId}`,
      `acknowledged ${alertId}`,
    ]);
  });

  it('a press made while the server is down shows spooled until it is stored', async () => {
    const server = await startServer();
    const port = server.port;
    const agent = await AgentProcess.start({ serverUrl: server.url, deviceId: 'pi-feedback-4' });
    await waitForState(agent, 'idle');
    await server.stop();
    await waitForState(agent, 'unreachable');

    agent.press();
    const [pressed] = await agent.waitForEvent('button.pressed');
    const alertId = pressed.alertId as string;
    await waitForState(agent, 'spooled', alertId);
    const back = await ServerProcess.start({ env: { VIGIE_AUTH: 'off', PORT: String(port) } });
    expect(back.port).toBe(port);
    await waitForState(agent, 'stored', alertId, 15_000);
  });

  it('doctor prints the feedback settings, and --blink lights the light once through gpioset (libgpiod 2)', async () => {
    const server = await startServer();
    // libgpiod's tools faked on the PATH: the only thing standing in for the Pi.
    const tools = new FakeGpiosetTools({
      version: '2.2.1',
      lines: { GPIO17: ['gpiochip0', 17], GPIO18: ['gpiochip0', 18] },
    });
    try {
      const doctor = await AgentProcess.runToExit({
        serverUrl: server.url,
        deviceId: 'pi-feedback-5',
        command: 'doctor',
        args: ['--blink'],
        env: {
          PATH: `${dirname(tools.commands.gpioset)}:${process.env.PATH}`,
          VIGIE_GPIO_DRIVER: 'gpiod',
          VIGIE_LED_PIN: '18',
          VIGIE_PRESSES: '3',
        },
      });

      const line = (step: string) => doctor.stdoutLines.find((text) => text.slice(5).startsWith(`${step} `));
      expect(line('feedback')).toBe(
        'OK   feedback     light GPIO18, buzzer none, silent for panic,intrusion, 3 presses within 1500 ms alert',
      );
      expect(line('blink')).toMatch(/^OK {3}blink {8}the light on GPIO18 \(gpiod\) was on for 1 s/);
      // On, then off before it is let go; nothing left holding the line.
      expect(tools.runs('GPIO18').map((run) => run.args.at(-1))).toEqual([
        'GPIO18=0',
        'GPIO18=1',
        'GPIO18=0',
      ]);
      expect(tools.runs('GPIO18').every((run) => run.ended !== null)).toBe(true);
    } finally {
      tools.remove();
    }
  });

  it('doctor --blink without VIGIE_LED_PIN says there is nothing to blink, and fails', async () => {
    const server = await startServer();
    const doctor = await AgentProcess.runToExit({
      serverUrl: server.url,
      deviceId: 'pi-feedback-6',
      command: 'doctor',
      args: ['--blink'],
    });
    expect(doctor.exitResult.code).toBe(1);
    expect(doctor.stdoutLines.at(-1)).toBe(
      'FAIL blink        not tried: VIGIE_LED_PIN is not set, there is no light to blink',
    );
  });
});
