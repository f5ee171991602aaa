import { lookup } from 'node:dns/promises';
import { access, constants, readdir } from 'node:fs/promises';
import { isIP, Socket } from 'node:net';
import { AxiosInstance } from 'axios';
import { AgentConfig } from '../config/agent-config';
import { codeForNetworkError, codeForStatus, describeCode } from '../diagnostics/error-codes';
import { networkErrorCode } from '../delivery/http-client';

export interface CheckResult {
  step: string;
  ok: boolean;
  detail: string;
  /** The stable code of a failure, explained from the shared table. */
  code?: string;
}

const TCP_TIMEOUT_MS = 3000;

export function failure(step: string, code: string, detail = ''): CheckResult {
  const { meaning, check } = describeCode(code);
  return {
    step,
    ok: false,
    code,
    detail: `${code}${detail ? ` (${detail})` : ''}: ${meaning}. Try: ${check}`,
  };
}

export function notTried(step: string, because: string): CheckResult {
  return { step, ok: false, detail: `not tried: ${because}` };
}

export async function checkNameResolution(config: AgentConfig): Promise<CheckResult & { address?: string }> {
  const host = config.serverUrl.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host))
    return { step: 'dns', ok: true, detail: `${host} is an IP address, nothing to resolve`, address: host };
  try {
    const { address } = await lookup(host);
    return { step: 'dns', ok: true, detail: `${host} -> ${address}`, address };
  } catch (error) {
    return failure('dns', codeForNetworkError((error as NodeJS.ErrnoException).code), host);
  }
}

export function checkTcp(config: AgentConfig, address: string): Promise<CheckResult> {
  const port = Number(config.serverUrl.port || (config.serverUrl.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (result: CheckResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(TCP_TIMEOUT_MS, () => finish(failure('tcp', 'ETIMEDOUT', `${address}:${port}`)));
    socket.once('connect', () =>
      finish({ step: 'tcp', ok: true, detail: `${address}:${port} accepts connections` }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(failure('tcp', codeForNetworkError(error.code), `${address}:${port}`)),
    );
    socket.connect(port, address);
  });
}

export async function checkHealth(http: AxiosInstance): Promise<CheckResult> {
  try {
    const response = await http.get('/health/ready');
    if (response.status === 200) return { step: 'http', ok: true, detail: 'GET /health/ready answered 200' };
    return failure('http', codeForStatus(response.status), 'GET /health/ready');
  } catch (error) {
    return failure('http', networkErrorCode(error), 'GET /health/ready');
  }
}

/** A heartbeat is what the agent is allowed to send: its answer tells whether the token works. */
export async function checkCredentials(http: AxiosInstance, config: AgentConfig): Promise<CheckResult> {
  const path = `/devices/${encodeURIComponent(config.deviceId)}/heartbeat`;
  try {
    const response = await http.put(path, config.location ? { location: config.location } : {});
    if (response.status >= 200 && response.status < 300) {
      const how = config.deviceToken ? 'with VIGIE_DEVICE_TOKEN' : 'without a token';
      return { step: 'credentials', ok: true, detail: `the server accepts device ${config.deviceId} ${how}` };
    }
    return failure('credentials', codeForStatus(response.status), `PUT ${path}`);
  } catch (error) {
    return failure('credentials', networkErrorCode(error), `PUT ${path}`);
  }
}

export async function checkSpool(config: AgentConfig): Promise<CheckResult> {
  try {
    await access(config.spoolDir, constants.W_OK);
    const names = await readdir(config.spoolDir);
    const waiting = names.filter((name) => name.endsWith('.json')).length;
    const rejected = await readdir(`${config.spoolDir}/rejected`).then(
      (files) => files.filter((name) => !name.endsWith('.response.json')).length,
      () => 0,
    );
    const ok = rejected === 0;
    return {
      step: 'spool',
      ok,
      detail: `${config.spoolDir} is writable; ${waiting} alert(s) waiting, ${rejected} refused by the server${ok ? '' : ` (see ${config.spoolDir}/rejected)`}`,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return { step: 'spool', ok: true, detail: `${config.spoolDir} will be created at the first run` };
    return {
      step: 'spool',
      ok: false,
      detail: `${config.spoolDir} is not writable (${code}): check its owner and permissions`,
    };
  }
}
