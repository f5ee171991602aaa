import { dirname, join } from 'node:path';
import {
  Syscall,
  describeCall,
  fdTarget,
  isSocket,
  isSync,
  isWrite,
  resultTarget,
  stringArgs,
  succeeded,
  writtenText,
} from './syscall-trace';

/**
 * What a power cut would lose, read from a system-call trace: each check returns the problems
 * found for one alert (empty when it was on disk before anyone was told), with the trace lines
 * involved, so a failure says which step was missing or out of order.
 */

/** SQLite's WAL frame header: 24 bytes, the second word non-zero on a transaction's last frame. */
const FRAME_HEADER_BYTES = 24;

function isCommitFrameHeader(call: Syscall): boolean {
  const bytes = Buffer.from(writtenText(call), 'latin1');
  return bytes.length === FRAME_HEADER_BYTES && bytes.readUInt32BE(4) !== 0;
}

export interface WalCommit {
  /** The write of the commit frame's page: the transaction's last write to the WAL. */
  lastWrite: Syscall;
  /** The fsync of the WAL that made it durable before the answer. */
  sync: Syscall;
}

/**
 * Server side: the alert's `201` left for the socket only after an fsync of the WAL that
 * started after its transaction's last WAL write had returned, and had itself returned.
 * Any thread's fsync counts (the file is flushed whichever descriptor wrote it), and only an
 * fsync of the WAL: the database file is written later, by checkpoints.
 */
export function walCommitBeforeCreated(
  calls: Syscall[],
  walPath: string,
  alertId: string,
): { problems: string[]; commit?: WalCommit } {
  const toWal = (call: Syscall) => fdTarget(call) === walPath;
  const answer = calls.find(
    (call) =>
      isWrite(call) &&
      isSocket(fdTarget(call)) &&
      writtenText(call).includes('HTTP/1.1 201') &&
      writtenText(call).includes(alertId),
  );
  if (!answer) return { problems: [`${alertId}: no 201 carrying it was written to a socket`] };
  const inserted = calls.find(
    (call) =>
      isWrite(call) && toWal(call) && call.entry < answer.entry && writtenText(call).includes(alertId),
  );
  if (!inserted) {
    return {
      problems: [`${alertId}: its 201 (${describeCall(answer)}) was written before any WAL write holding it`],
    };
  }
  // Its transaction ends with the first commit frame this thread writes from the page holding
  // it on (that page's own frame header, written just before it, included).
  const byWriter = calls.filter((call) => call.tid === inserted.tid && toWal(call) && isWrite(call));
  const from = Math.max(0, byWriter.indexOf(inserted) - 1);
  const header = byWriter.findIndex((call, index) => index >= from && isCommitFrameHeader(call));
  const lastWrite = header >= 0 ? byWriter[header + 1] : undefined;
  if (!lastWrite || lastWrite.entry > answer.entry) {
    return {
      problems: [
        `${alertId}: its 201 (${describeCall(answer)}) was written before its transaction's commit frame ` +
          `reached the WAL (first write holding it: ${describeCall(inserted)})`,
      ],
    };
  }
  const sync = calls.find(
    (call) => isSync(call) && toWal(call) && call.entry > lastWrite.exit && call.exit < answer.entry,
  );
  if (!sync) {
    const nextSync = calls.find((call) => isSync(call) && toWal(call) && call.entry > lastWrite.exit);
    return {
      problems: [
        `${alertId}: no fsync of the WAL between its commit and its 201\n` +
          `  commit frame written: ${describeCall(lastWrite)}\n` +
          `  201 written:          ${describeCall(answer)}\n` +
          `  next WAL fsync:       ${describeCall(nextSync)}`,
      ],
    };
  }
  return { problems: [], commit: { lastWrite, sync } };
}

/**
 * Server side, once: each time the WAL file is created (the first open with O_CREAT, or the
 * first after it was deleted), the database's folder is fsynced before the next `201`, or a
 * power cut could lose the file's name and with it every commit it holds.
 */
export function walCreationSynced(calls: Syscall[], walPath: string): string[] {
  const folder = dirname(walPath);
  const problems: string[] = [];
  let created: Syscall | undefined;
  let folderSync: Syscall | undefined;
  let gone = true;
  for (const call of calls) {
    if (call.name.startsWith('unlink') && succeeded(call) && pathArgs(call).includes(walPath)) gone = true;
    if (gone && call.name === 'openat' && succeeded(call) && resultTarget(call) === walPath) {
      if (call.args.includes('O_CREAT')) [created, folderSync] = [call, undefined];
      gone = false;
    }
    if (created && !folderSync && isSync(call) && fdTarget(call) === folder && call.entry > created.exit) {
      folderSync = call;
    }
    if (created && isCreatedAnswer(call)) {
      if (!folderSync || folderSync.exit > call.entry) {
        problems.push(
          `the WAL was created (${describeCall(created)}) and a 201 written (${describeCall(call)}) ` +
            `before an fsync of ${folder} returned (${describeCall(folderSync)})`,
        );
      }
      created = undefined;
    }
  }
  return problems;
}

function isCreatedAnswer(call: Syscall): boolean {
  return isWrite(call) && isSocket(fdTarget(call)) && writtenText(call).includes('HTTP/1.1 201');
}

function pathArgs(call: Syscall): string[] {
  return stringArgs(call).map((bytes) => bytes.toString('utf8'));
}

/** The agent's steps that make a press durable, in the order they must happen. */
export interface SpoolSteps {
  /** The fsync of the temp file, after the last write of the alert into it. */
  fileSynced: Syscall;
  /** The rename of the temp file to its final name, after that fsync returned. */
  renamed: Syscall;
  /** The fsync of the spool folder, after the rename returned: from its return, the press is on disk. */
  folderSynced: Syscall;
}

/**
 * Agent side: the press's spool file was created, written, fsynced, renamed into place and
 * its folder fsynced, each step started after the previous one returned.
 */
export function spoolSteps(
  calls: Syscall[],
  spoolDir: string,
  alertId: string,
): { problems: string[]; steps?: SpoolSteps } {
  const final = join(spoolDir, `${alertId}.json`);
  const temp = `${final}.tmp`;
  const after = (previous: Syscall | undefined, match: (call: Syscall) => boolean) =>
    previous && calls.find((call) => call.entry > previous.exit && match(call));
  const found: Array<[string, Syscall | undefined]> = [];
  const created = calls.find(
    (call) => call.name === 'openat' && succeeded(call) && resultTarget(call) === temp,
  );
  found.push(['temp file created', created]);
  const writes = calls.filter(
    (call) =>
      isWrite(call) && fdTarget(call) === temp && succeeded(call) && call.entry > (created?.exit ?? 0),
  );
  const holdsAlert = writes.some((call) => writtenText(call).includes(alertId));
  const written = created && holdsAlert ? writes[writes.length - 1] : undefined;
  found.push(['alert written to it', written]);
  const fileSynced = after(written, (call) => isSync(call) && fdTarget(call) === temp);
  found.push(['temp file fsynced', fileSynced]);
  const renamed = after(fileSynced, (call) => {
    if (!call.name.startsWith('rename') || !succeeded(call)) return false;
    const paths = pathArgs(call);
    return paths.includes(temp) && paths.includes(final);
  });
  found.push(['renamed into place', renamed]);
  const folderSynced = after(renamed, (call) => isSync(call) && fdTarget(call) === spoolDir);
  found.push(['spool folder fsynced', folderSynced]);

  const missing = found.findIndex(([, call]) => call === undefined);
  if (missing < 0)
    return {
      problems: [],
      steps: { fileSynced: fileSynced!, renamed: renamed!, folderSynced: folderSynced! },
    };
  const done = found
    .slice(0, missing)
    .map(([what, call]) => `\n  ${what}: ${describeCall(call)}`)
    .join('');
  return { problems: [`${alertId}: no "${found[missing][0]}" after the steps before it${done}`] };
}

/** The agent's `alert.spooled` line for this alert started after `step` returned. */
export function loggedSpooledAfter(calls: Syscall[], alertId: string, step: Syscall): string[] {
  const logged = calls.find(
    (call) =>
      isWrite(call) &&
      /^1[<,]/.test(call.args) &&
      writtenText(call).includes('"event":"alert.spooled"') &&
      writtenText(call).includes(alertId),
  );
  if (!logged) return [`${alertId}: no "alert.spooled" line written to stdout`];
  if (logged.entry > step.exit) return [];
  return [
    `${alertId}: "alert.spooled" logged (${describeCall(logged)}) before ${describeCall(step)} returned`,
  ];
}

/** Every write carrying the alert's id to a socket started after `step` returned (and there is one). */
export function sentAfter(calls: Syscall[], alertId: string, step: Syscall): string[] {
  const sent = calls.filter(
    (call) => isWrite(call) && isSocket(fdTarget(call)) && writtenText(call).includes(alertId),
  );
  if (sent.length === 0) return [`${alertId}: never sent to the server`];
  const early = sent.find((call) => call.entry < step.exit);
  if (!early) return [];
  return [`${alertId}: sent (${describeCall(early)}) before ${describeCall(step)} returned`];
}
