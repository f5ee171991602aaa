import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Injectable, NotFoundException } from '@nestjs/common';

/**
 * Where `npm run build` packs the agent (scripts/build-agent-bundle.js): dist/agent/, next to
 * the bundled main.js's dist/apps/alert-server/ when the server runs from dist/; the same built
 * file when it runs from its sources (ts-jest).
 */
function candidates(file: string): string[] {
  return [resolve(__dirname, '../../agent', file), resolve(__dirname, '../../../../dist/agent', file)];
}

/** The line of deploy/install.sh the server fills in with its own address. */
const SERVER_LINE = /^server=''$/m;

/** The agent bundle this server hands to the Pis: what it installs is what this build made. */
@Injectable()
export class AgentBundle {
  /**
   * The archive's path, looked up at each request: a build run while the server is up is
   * served without a restart. A server without one says how to make it.
   */
  locate(): string {
    return this.find('vigie-agent.tgz');
  }

  /** deploy/install.sh as this build copied it, told to install from `serverUrl`. */
  installScript(serverUrl: string): string {
    const script = readFileSync(this.find('install.sh'), 'utf8');
    // A function as replacement: `$&` or `$'` in the address are not patterns to expand.
    return script.replace(SERVER_LINE, () => `server=${shellQuoted(serverUrl)}`);
  }

  private find(file: string): string {
    const found = candidates(file).find((path) => existsSync(path));
    if (!found) throw agentBundleMissing();
    return found;
  }
}

/** One sh word whatever `text` holds: single quotes, each quote inside closed, escaped, reopened. */
export function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function agentBundleMissing(): NotFoundException {
  return new NotFoundException(
    'the agent bundle is not built on this server: run `npm run build` where the server runs, then download it again',
  );
}
