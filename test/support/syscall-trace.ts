import { spawnSync } from 'node:child_process';

/**
 * System calls as `strace -f -y -yy` recorded them, for the tests that check durability where a
 * power cut acts: the page cache survives `kill -9`, so only the order of fsync against the
 * answer (or the log line, or the send) shows whether data was on disk when it was announced.
 *
 * Order comes from the line order of one trace file, not from timestamps: strace handles each
 * thread's stops one at a time, and a thread stopped at a call's entry does not run the call
 * until strace has written that entry. So a call whose return line comes before another call's
 * entry line had returned before that other call started, whatever thread made each.
 */

/** The calls that write data, make it durable, name files and open connections. */
export const TRACED_SYSCALLS = [
  'openat',
  'write',
  'writev',
  'pwrite64',
  'pwritev',
  'pwritev2',
  'sendto',
  'sendmsg',
  'fsync',
  'fdatasync',
  'rename',
  'renameat',
  'renameat2',
  'unlink',
  'unlinkat',
  'connect',
] as const;

/** Large enough for a whole 4 KiB database page or an HTTP response, so an id inside is seen. */
const STRING_LIMIT = 16_384;

/** strace's arguments: every thread, file descriptors shown with their path or socket. */
export function straceArgs(traceFile: string): string[] {
  return [
    '-f',
    // Only the traced calls stop the program: without the filter, every call would, slowing it
    // by an order of magnitude.
    '--seccomp-bpf',
    '-qq',
    '-yy',
    '-s',
    String(STRING_LIMIT),
    '-e',
    `trace=${TRACED_SYSCALLS.join(',')}`,
    '-o',
    traceFile,
  ];
}

/**
 * Null when strace can trace a child here, or why it cannot (not installed, or ptrace refused,
 * as in some containers): decided once per file, before the tests, so they are reported skipped.
 */
export function straceUnavailable(): string | null {
  const probe = spawnSync(
    'strace',
    ['-f', '--seccomp-bpf', '-qq', '-e', 'trace=fsync', '-o', '/dev/null', '--', 'true'],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? 'strace is not installed; npm test installs it'
      : `strace failed: ${probe.error.message}`;
  }
  if (probe.status !== 0) {
    const said = `${probe.stderr}`.trim().split('\n')[0] ?? '';
    return `strace cannot trace a process here (${said || `exit ${probe.status}`})`;
  }
  return null;
}

export interface Syscall {
  /** Thread that made the call. */
  tid: number;
  name: string;
  /** The arguments as strace printed them (at entry for the calls traced here). */
  args: string;
  /** What follows `= `: `0`, `24`, `-1 EIO (Input/output error)`, `3</path>`; null if it never returned. */
  result: string | null;
  /** Line (0-based) where the call started, and where it returned (Infinity if never). */
  entry: number;
  exit: number;
}

/** Calls in the order they started, each with its start and return lines. */
export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<number, Syscall>();
  text.split('\n').forEach((line, index) => {
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const call = open.get(Number(resumed[1]));
      if (!call) return;
      open.delete(call.tid);
      call.exit = index;
      call.result = resultOf(resumed[3]);
      return;
    }
    const started = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
    if (!started) return; // signals, exits, strace's own notes
    const tid = Number(started[1]);
    const rest = started[3];
    const unfinished = rest.endsWith(' <unfinished ...>');
    const end = unfinished ? rest.length - ' <unfinished ...>'.length : resultAt(rest)?.index;
    const call: Syscall = {
      tid,
      name: started[2],
      args: end === undefined ? rest : rest.slice(0, end),
      result: unfinished ? null : resultOf(rest),
      entry: index,
      exit: unfinished ? Infinity : index,
    };
    if (unfinished) open.set(tid, call);
    calls.push(call);
  });
  return calls;
}

/** The last `) = ` of a line; strace pads short lines with spaces before the `=`. */
function resultAt(tail: string): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of tail.matchAll(/\) += /g)) last = match;
  return last;
}

function resultOf(tail: string): string | null {
  const at = resultAt(tail);
  return at ? tail.slice(at.index + at[0].length).trim() : null;
}

/** True when the call returned without an error. */
export function succeeded(call: Syscall): boolean {
  return call.result !== null && !call.result.startsWith('-1 ') && call.result !== '?';
}

/**
 * What the first argument's file descriptor designates (`-y`/`-yy`): a path, or a socket as
 * `TCP:[127.0.0.1:1234->127.0.0.1:5678]`. Null when the first argument is not a descriptor.
 */
export function fdTarget(call: Syscall): string | null {
  return descriptorTarget(call.args);
}

/** The path or socket of the descriptor a call returned (openat), or null. */
export function resultTarget(call: Syscall): string | null {
  return call.result === null ? null : descriptorTarget(call.result);
}

function descriptorTarget(text: string): string | null {
  // A socket's address holds `->`, so its `]>` ends it, not the first `>`.
  const match = /^\d+<([A-Z0-9]+:\[[^\]]*\]|[^>]*)>/.exec(text);
  return match ? match[1] : null;
}

/** The quoted strings among the arguments, decoded: paths, written buffers. */
export function stringArgs(call: Syscall): Buffer[] {
  const found: Buffer[] = [];
  for (const match of call.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)) found.push(decodeString(match[1]));
  return found;
}

const texts = new WeakMap<Syscall, string>();

/** The bytes a write-like call sent, as text (a binary page keeps its ASCII runs). */
export function writtenText(call: Syscall): string {
  let text = texts.get(call);
  if (text === undefined) {
    text = stringArgs(call)
      .map((bytes) => bytes.toString('latin1'))
      .join('');
    texts.set(call, text);
  }
  return text;
}

const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg']);
const SYNCS = new Set(['fsync', 'fdatasync']);

export const isWrite = (call: Syscall): boolean => WRITES.has(call.name);
export const isSync = (call: Syscall): boolean => SYNCS.has(call.name) && succeeded(call);
export const isSocket = (target: string | null): boolean => target !== null && /^(TCP|TCPv6):\[/.test(target);

/** strace's C-like escapes: \n \t \r \v \f \" \\ and octal \ooo (with -x, \xhh). */
export function decodeString(escaped: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const char = escaped[i];
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'latin1'));
      continue;
    }
    const next = escaped[++i];
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      v: 11,
      f: 12,
      a: 7,
      b: 8,
      '"': 34,
      '\\': 92,
    };
    if (next in simple) bytes.push(simple[next]);
    else if (next === 'x') {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const octal = /^[0-7]{1,3}/.exec(escaped.slice(i))![0];
      bytes.push(parseInt(octal, 8));
      i += octal.length - 1;
    }
  }
  return Buffer.from(bytes);
}

/** One call as a short line for a failure message: its line number, thread and start. */
export function describeCall(call: Syscall | undefined): string {
  if (!call) return '(none)';
  const args = call.args.length > 160 ? `${call.args.slice(0, 160)}...` : call.args;
  const exit = call.exit === Infinity ? 'never returned' : `returned line ${call.exit + 1}`;
  return `line ${call.entry + 1}, thread ${call.tid}: ${call.name}(${args}) = ${call.result} (${exit})`;
}
