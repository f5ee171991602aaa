import type { Alert, AlertStatus } from '@app/contracts/wire';

const RANK: Record<AlertStatus, number> = { open: 0, acknowledged: 1, resolved: 2 };
const REMEMBERED_RESOLVED = 5000;

/**
 * The open and acknowledged alerts as this page knows them. Status only moves forward
 * (open → acknowledged → resolved), so whichever of a GET answer and a live event is older
 * can never undo the newer one; an alert missing from a full re-read that was not touched
 * by an event meanwhile is gone (resolved while we were disconnected).
 */
export class ActiveAlerts {
  private readonly entries = new Map<string, { alert: Alert; seq: number }>();
  private readonly resolved = new Set<string>();
  private seq = 0;

  constructor(private readonly changed: () => void) {}

  apply(alert: Alert): void {
    this.store(alert);
    this.changed();
  }

  /** Call before reading GET /alerts; pass the result to finishLoad. */
  beginLoad(): number {
    return ++this.seq;
  }

  finishLoad(items: Alert[], startSeq: number): void {
    const fetched = new Set(items.map((alert) => alert.id));
    for (const [id, entry] of this.entries) {
      if (!fetched.has(id) && entry.seq <= startSeq) this.entries.delete(id);
    }
    for (const alert of items) this.store(alert);
    this.changed();
  }

  /** Forgets everything (signed out): the next load starts afresh. */
  clear(): void {
    this.entries.clear();
    this.resolved.clear();
    this.changed();
  }

  get(id: string): Alert | undefined {
    return this.entries.get(id)?.alert;
  }

  /** Newest first by reception, as GET /alerts orders them. */
  list(): Alert[] {
    return [...this.entries.values()]
      .map((entry) => entry.alert)
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id));
  }

  get openCount(): number {
    let count = 0;
    for (const { alert } of this.entries.values()) if (alert.status === 'open') count++;
    return count;
  }

  private store(alert: Alert): void {
    if (alert.status === 'resolved') {
      this.entries.delete(alert.id);
      this.resolved.add(alert.id);
      if (this.resolved.size > REMEMBERED_RESOLVED) {
        this.resolved.delete(this.resolved.values().next().value as string);
      }
      return;
    }
    if (this.resolved.has(alert.id)) return;
    const current = this.entries.get(alert.id);
    if (current && RANK[current.alert.status] > RANK[alert.status]) return;
    this.entries.set(alert.id, { alert, seq: ++this.seq });
  }
}
