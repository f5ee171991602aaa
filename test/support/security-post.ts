import { addDevice, addOperator } from './admin-cli';
import { HttpAnswer, ServerProcess, request } from './server-process';

/**
 * A security post as the dashboard's browser tests set it up: a built server, its devices'
 * tokens and its operators' accounts made as an administrator would, and the API calls the
 * tests make beside the page (devices posting alerts and heartbeats, operators reading back).
 */

export const PASSWORD = 'correct horse battery staple';
export const REQUIRED_ENV = { VIGIE_AUTH: 'required', VIGIE_DEVICE_OFFLINE_AFTER_S: '2' };
export const LAB_ENV = { VIGIE_AUTH: 'off', VIGIE_DEVICE_OFFLINE_AFTER_S: '2' };
export const SESSION_COOKIE = 'vigie_session';

export interface AlertBody {
  deviceId: string;
  type: 'fire' | 'intrusion' | 'medical' | 'panic' | 'test';
  severity?: string;
  location?: string;
  message?: string;
  button?: string;
  triggeredAt?: string;
}

export interface Alert extends AlertBody {
  id: string;
  receivedAt: string;
  status: 'open' | 'acknowledged' | 'resolved';
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

/** Runs at most `limit` tasks at a time, the others queued in order. */
class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/** Admin commands (`device add`, `operator add`) are a Node process each: two at a time on 2 cores. */
const adminCommands = new Limiter(2);

/**
 * A server under test and what a test set up on it, as an administrator would: device tokens
 * and operator accounts (created once, on first use), and operators' sessions.
 */
export class Post {
  constructor(
    readonly server: ServerProcess,
    private readonly tokens = new Map<string, Promise<string>>(),
    private readonly operators = new Map<string, Promise<void>>(),
  ) {}

  static async start(env: Record<string, string>, sqlitePath?: string): Promise<Post> {
    return new Post(await ServerProcess.start({ env, sqlitePath }));
  }

  /** The same store served by another process (a restart): its tokens and accounts hold. */
  restartedAs(server: ServerProcess): Post {
    return new Post(server, this.tokens, this.operators);
  }

  get url(): string {
    return this.server.url;
  }

  get signInRequired(): boolean {
    return this.server.env.VIGIE_AUTH !== 'off';
  }

  /** The device's token (`device add`), or none on a lab bench. */
  async authorization(deviceId: string): Promise<Record<string, string>> {
    if (!this.signInRequired) return {};
    let token = this.tokens.get(deviceId);
    if (!token) {
      token = adminCommands.run(() => addDevice(this.server.sqlitePath, deviceId));
      this.tokens.set(deviceId, token);
    }
    return { authorization: `Bearer ${await token}` };
  }

  /**
   * Tokens for many devices at once through the API, as "Add a button" and install.sh do:
   * an enrollment code each (made by the operator of `cookie`), used from an address of its own
   * (the server trusts X-Forwarded-For from loopback), since enrolling is limited per address.
   * A second or two for hundreds of devices, where `device add` takes a process each.
   */
  async enroll(cookie: string, devices: Array<[id: string, location: string]>): Promise<void> {
    const enrollOne = async ([deviceId, location]: [string, string], index: number): Promise<string> => {
      const made = await asOperator(this, cookie, 'POST', '/devices/enrollments', { deviceId, location });
      if (made.status !== 201) throw new Error(`enrollment of ${deviceId}: ${made.status} ${made.text}`);
      const { code } = made.json as { code: string };
      const address = `10.77.${Math.floor(index / 250)}.${(index % 250) + 1}`;
      const used = await request(
        this.url,
        'POST',
        '/devices/enroll',
        { code },
        {
          headers: { 'x-forwarded-for': address },
        },
      );
      if (used.status !== 201) throw new Error(`enroll ${deviceId}: ${used.status} ${used.text}`);
      return (used.json as { token: string }).token;
    };
    const limiter = new Limiter(8);
    await Promise.all(
      devices.map((device, index) => {
        const token = limiter.run(() => enrollOne(device, index));
        this.tokens.set(device[0], token);
        return token;
      }),
    );
  }

  /** `operator add NAME --password-stdin`, once per name. */
  operator(name: string): Promise<void> {
    let added = this.operators.get(name);
    if (!added) {
      added = adminCommands.run(() => addOperator(this.server.sqlitePath, name, PASSWORD));
      this.operators.set(name, added);
    }
    return added;
  }

  /** Signs `name` in through the API: the session cookie's value. */
  async signIn(name: string): Promise<string> {
    await this.operator(name);
    const answer = await request(this.url, 'POST', '/auth/login', { name, password: PASSWORD });
    if (answer.status !== 204) throw new Error(`POST /auth/login ${name}: ${answer.status} ${answer.text}`);
    return sessionFrom(answer);
  }
}

function sessionFrom(answer: HttpAnswer): string {
  const setCookie = [answer.headers['set-cookie'] ?? []].flat().join('\n');
  const value = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie)?.[1];
  if (!value) throw new Error(`no ${SESSION_COOKIE} cookie in ${setCookie}`);
  return value;
}

/** A request as the operator whose session cookie this is (none on a lab bench). */
export function asOperator(
  post: Post,
  cookie: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer> {
  return request(post.url, method, path, body, {
    headers: cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {},
  });
}

export async function postAlert(post: Post, body: AlertBody): Promise<Alert> {
  const answer = await request(post.url, 'POST', '/alerts', body, {
    headers: await post.authorization(body.deviceId),
  });
  if (answer.status !== 201) throw new Error(`POST /alerts: ${answer.status} ${answer.text}`);
  return answer.json as Alert;
}

/** GET /alerts/:id with the test's own session (`cookie`; none on a lab bench). */
export async function getAlert(post: Post, id: string, cookie: string | null): Promise<Alert> {
  const answer = await asOperator(post, cookie, 'GET', `/alerts/${id}`);
  expect(answer.status).toBe(200);
  return answer.json as Alert;
}

export async function heartbeat(post: Post, id: string, location: string): Promise<void> {
  const answer = await request(
    post.url,
    'PUT',
    `/devices/${id}/heartbeat`,
    { location, agentVersion: '0.1.0', spoolDepth: 0, uptimeSeconds: 3600 },
    { headers: await post.authorization(id) },
  );
  if (answer.status !== 204) throw new Error(`heartbeat ${id}: ${answer.status} ${answer.text}`);
}

/** Heartbeats every `intervalMs` (a live agent) until the returned function is called. */
export function keepBeating(
  post: Post,
  devices: Array<[id: string, location: string]>,
  intervalMs = 500,
): () => void {
  const beat = () => devices.forEach(([id, location]) => void heartbeat(post, id, location).catch(() => {}));
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}

/** Resolves every open and acknowledged alert through the API, so a test starts with an empty board. */
export async function resolveAllActive(post: Post, cookie: string): Promise<void> {
  for (const status of ['open', 'acknowledged']) {
    const page = await asOperator(post, cookie, 'GET', `/alerts?status=${status}&limit=500`);
    expect(page.status).toBe(200);
    for (const alert of (page.json as { items: Alert[] }).items) {
      const done = await asOperator(post, cookie, 'POST', `/alerts/${alert.id}/resolve`, {});
      expect(done.status).toBe(200);
    }
  }
}
