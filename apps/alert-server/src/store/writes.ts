import { ALERT_WRITES } from '../alerts/alerts.writes';
import { CREDENTIAL_WRITES } from '../auth/credentials.writes';
import { OPERATOR_WRITES } from '../auth/operators.writes';
import { DEVICE_WRITES } from '../devices/devices.writes';
import { STORE_WRITES } from './store.writes';
import type { WriteOperation } from './write-operation';

/**
 * Every write the server makes, by name. The store sends names and arguments to the writer
 * (a thread of its own, or the main thread as a fallback), which looks the operation up
 * here: the writer's bundle imports this module and nothing of the application's framework.
 */
export const WRITES = {
  ...ALERT_WRITES,
  ...DEVICE_WRITES,
  ...CREDENTIAL_WRITES,
  ...OPERATOR_WRITES,
  ...STORE_WRITES,
} satisfies Record<string, WriteOperation<never, unknown>>;

export type Writes = typeof WRITES;
export type WriteName = keyof Writes;
export type WriteArgs<Name extends WriteName> = Parameters<Writes[Name]>[1];
export type WriteResult<Name extends WriteName> = Awaited<ReturnType<Writes[Name]>>;

/** One write of a group commit, as it travels to the writer. */
export interface WriteRequest {
  name: WriteName;
  args: unknown;
}

/** What became of one write of a group commit. */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: WriteError };

/** A failed write's error as it crosses threads (class instances do not). */
export interface WriteError {
  name: string;
  message: string;
  code?: string;
}
