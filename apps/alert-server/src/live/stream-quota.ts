/**
 * Live streams one browser session may hold open. A browser opens at most six HTTP/1.1
 * connections to one server, so a page per tab already stays far below ten; the margin is for
 * streams whose network died and that the server has not noticed yet. Without a cap, one
 * session (or a script with its cookie) could hold any number of sockets and buffers.
 */
export const MAX_STREAMS_PER_SESSION = 10;

/** Open streams per holder (a session). */
export class StreamQuota {
  private readonly open = new Map<string, number>();

  constructor(private readonly limit = MAX_STREAMS_PER_SESSION) {}

  /** Takes a place for `holder`: a release function, or null when its streams are at the limit. */
  take(holder: string): (() => void) | null {
    const count = this.open.get(holder) ?? 0;
    if (count >= this.limit) return null;
    this.open.set(holder, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(holder) ?? 1) - 1;
      if (left > 0) this.open.set(holder, left);
      else this.open.delete(holder);
    };
  }
}
