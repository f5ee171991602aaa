import type { Device } from '@app/contracts/wire';
import { el } from './dom';
import { since, t } from './i18n';
import { isOlderVersion } from './versions';

/** The devices panel (#devices): offline devices first, so a silent button is seen at once. */
export class DevicesPanel {
  private devices = new Map<string, Device>();
  private readonly touched = new Map<string, number>();
  private seq = 0;
  /** The agent version this server hands out (GET /agent/version), once known. */
  private currentAgent: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly changed: () => void,
  ) {}

  /** Devices whose agent is older are marked: running the install command again updates them. */
  setCurrentAgent(version: string): void {
    this.currentAgent = version;
    this.render();
  }

  apply(device: Device): void {
    this.devices.set(device.id, device);
    this.touched.set(device.id, ++this.seq);
    this.render();
  }

  beginLoad(): number {
    return ++this.seq;
  }

  /** A live event newer than the start of the read wins over what the read returned. */
  finishLoad(devices: Device[], startSeq: number): void {
    const next = new Map(devices.map((device) => [device.id, device]));
    for (const [id, device] of this.devices) {
      if ((this.touched.get(id) ?? 0) > startSeq) next.set(id, device);
    }
    this.devices = next;
    this.render();
  }

  /** Forgets every device (signed out). */
  clear(): void {
    this.devices = new Map();
    this.touched.clear();
    this.render();
  }

  list(): Device[] {
    return [...this.devices.values()];
  }

  get offlineCount(): number {
    return this.list().filter((device) => device.status === 'offline').length;
  }

  tick(now = Date.now()): void {
    this.container.querySelectorAll<HTMLElement>('.device').forEach((row) => {
      const seen = row.querySelector('.device-last-seen');
      const at = row.dataset.lastSeenAt;
      if (seen && at) seen.textContent = t('lastSeen', { age: since(at, now) });
    });
  }

  private render(): void {
    const sorted = this.list().sort(
      (a, b) => Number(a.status === 'online') - Number(b.status === 'online') || a.id.localeCompare(b.id),
    );
    const rows = sorted.map((device) =>
      el(
        'li',
        {
          class: 'device',
          'data-device-id': device.id,
          'data-status': device.status,
          ...(device.lastSeenAt === null
            ? { 'data-never-seen': '' }
            : { 'data-last-seen-at': device.lastSeenAt }),
        },
        el('span', { class: 'device-state' }, t(device.status)),
        el('span', { class: 'device-id' }, device.id),
        el('span', { class: 'device-location' }, device.location ?? ''),
        el('span', { class: 'device-last-seen' }, device.lastSeenAt === null ? t('neverSeen') : ''),
        el('span', { class: 'device-spool' }, t('spool', { n: device.spoolDepth ?? '—' })),
        device.agentVersion
          ? el('span', { class: 'device-version' }, t('version', { v: device.agentVersion }))
          : null,
        this.outdated(device)
          ? el('span', { class: 'device-outdated' }, t('agentOutdated', { v: this.currentAgent ?? '' }))
          : null,
      ),
    );
    this.container.replaceChildren(...(rows.length ? rows : [el('li', { class: 'empty' }, t('noDevices'))]));
    this.tick();
    this.changed();
  }

  private outdated(device: Device): boolean {
    if (!device.agentVersion || !this.currentAgent) return false;
    return isOlderVersion(device.agentVersion, this.currentAgent) === true;
  }
}
