import type { TestServer } from './test-server';

/** Stops each server that was started and deletes its data folder (tolerates a failed start). */
export async function stopAndRemove(...servers: Array<TestServer | undefined>): Promise<void> {
  for (const server of servers) await server?.close();
  for (const server of servers) server?.remove();
}
