import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Injectable, NotFoundException } from '@nestjs/common';

/**
 * Where `npm run build` packs the agent (scripts/build-agent-bundle.js): dist/agent/, next to
 * the bundled main.js's dist/apps/alert-server/ when the server runs from dist/; the same built
 * file when it runs from its sources (ts-jest).
 */
function candidates(): string[] {
  return [
    resolve(__dirname, '../../agent/vigie-agent.tgz'),
    resolve(__dirname, '../../../../dist/agent/vigie-agent.tgz'),
  ];
}

/** The agent bundle this server hands to the Pis: what it installs is what this build made. */
@Injectable()
export class AgentBundle {
  /**
   * The archive's path, looked up at each request: a build run while the server is up is
   * served without a restart. A server without one says how to make it.
   */
  locate(): string {
    const found = candidates().find((path) => existsSync(path));
    if (!found) throw agentBundleMissing();
    return found;
  }
}

export function agentBundleMissing(): NotFoundException {
  return new NotFoundException(
    'the agent bundle is not built on this server: run `npm run build` where the server runs, then download it again',
  );
}
