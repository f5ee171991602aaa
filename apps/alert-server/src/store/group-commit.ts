import type { Kysely, Transaction } from 'kysely';
import { diskErrorCode } from './disk-error';
import { STORE_WRITES } from './store.writes';
import type { WriteRegistry } from './write-operation';
import type { WriteError, WriteOutcome, WriteRequest } from './writes';

/**
 * Runs a group commit's writes in one transaction. If a write throws, the transaction is
 * rolled back and the batch replayed with a savepoint per write, so the failing one is
 * undone alone and the others still commit. The common case pays for no savepoints.
 * Rejects only when the transaction itself cannot commit: then nothing of the batch is stored.
 * An error of the disk (full, I/O) in any write is such a case: it is no fault of that write,
 * so the batch fails as one and is never replayed.
 */
export async function commitWrites<DB>(
  db: Kysely<DB>,
  writes: WriteRegistry,
  batch: readonly WriteRequest[],
): Promise<WriteOutcome[]> {
  if (batch.length === 0) return [];
  const outcomes = await runBatch(db, writes, batch, false);
  if (outcomes.some((outcome) => !outcome.ok)) return runBatch(db, writes, batch, true);
  return outcomes;
}

async function runBatch<DB>(
  db: Kysely<DB>,
  writes: WriteRegistry,
  batch: readonly WriteRequest[],
  isolateEach: boolean,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const trx = await db.startTransaction().execute();
  try {
    for (const [index, write] of batch.entries()) {
      if (!isolateEach) {
        try {
          outcomes.push({ ok: true, value: await run(writes, trx, write) });
        } catch (error) {
          // A replay would meet the same disk. And after SQLITE_FULL or an I/O error SQLite may
          // have rolled the whole transaction back already: later statements would then commit
          // one by one, outside the transaction the batch's answers depend on.
          if (diskErrorCode(error)) throw error;
          await trx.rollback().execute();
          return [{ ok: false, error: toWriteError(error) }];
        }
        continue;
      }
      const savepoint = await trx.savepoint(`w${index}`).execute();
      try {
        outcomes.push({ ok: true, value: await run(writes, savepoint, write) });
        await savepoint.releaseSavepoint(`w${index}`).execute();
      } catch (error) {
        if (diskErrorCode(error)) throw error;
        await savepoint.rollbackToSavepoint(`w${index}`).execute();
        outcomes.push({ ok: false, error: toWriteError(error) });
      }
    }
    await trx.commit().execute();
    return outcomes;
  } catch (error) {
    // It fails harmlessly ("no transaction is active") when SQLite already rolled back on its own.
    await trx
      .rollback()
      .execute()
      .catch(() => undefined);
    throw error;
  }
}

function run<DB>(writes: WriteRegistry, trx: Transaction<DB>, write: WriteRequest): Promise<unknown> {
  // The application's writes, then the store's own (its readiness probe).
  const operation = (writes[write.name] ?? (STORE_WRITES as WriteRegistry)[write.name]) as
    ((trx: Transaction<DB>, args: unknown) => Promise<unknown>) | undefined;
  if (!operation) throw new Error(`unknown write ${write.name}`);
  return operation(trx, write.args);
}

export function toWriteError(error: unknown): WriteError {
  // Duck-typed, not `instanceof Error`: an error built in another realm (better-sqlite3's
  // native addon keeps the error class of the context that loaded it first) is still one.
  if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') {
    const { name, message, code } = error as Error & { code?: unknown };
    return {
      name: typeof name === 'string' ? name : 'Error',
      message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** The error a caller of `Store.write` sees for a failed write. */
export function fromWriteError(error: WriteError): Error {
  const restored = new Error(error.message);
  restored.name = error.name;
  if (error.code !== undefined) Object.assign(restored, { code: error.code });
  return restored;
}
