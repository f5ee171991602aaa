/** What the main thread gives the checkpointer's thread. */
export interface CheckpointerOptions {
  databasePath: string;
}

/** What the main thread asks of the checkpointer's thread. */
export type CheckpointerRequest = { kind: 'checkpoint'; id: number } | { kind: 'stop' };

/** What the checkpointer's thread tells the main thread. */
export type CheckpointerReply =
  | { kind: 'ready' }
  /** `framesCopied` of the `framesInLog` in the WAL are now in the database file. */
  | { kind: 'checkpointed'; id: number; framesInLog: number; framesCopied: number }
  /** The checkpoint failed (a full disk: the database file could not grow); the next may succeed. */
  | { kind: 'failed'; id: number; code: string; message: string };
