const MUTED_KEY = 'vigie.soundMuted';

/**
 * The audible alarm: two beeps every two seconds while any alert is open. Browsers only let
 * a page play sound after a user gesture, hence the "enable sound" control (any click or key
 * on the page also enables it).
 */
export class Alarm {
  private context: AudioContext | null = null;
  private timer: number | null = null;
  private active = false;
  muted = localStorage.getItem(MUTED_KEY) === '1';

  constructor(private readonly changed: () => void) {}

  get enabled(): boolean {
    return this.context !== null && this.context.state === 'running';
  }

  async enable(): Promise<void> {
    if (!this.context) {
      this.context = new AudioContext();
      this.context.addEventListener('statechange', () => this.changed());
    }
    if (this.context.state !== 'running') await this.context.resume();
    this.changed();
    this.sync();
  }

  toggleMute(): void {
    this.muted = !this.muted;
    localStorage.setItem(MUTED_KEY, this.muted ? '1' : '0');
    this.changed();
    this.sync();
  }

  /** Ring while `active` (some alert is open), unless muted or not yet allowed. */
  setActive(active: boolean): void {
    this.active = active;
    this.sync();
  }

  private sync(): void {
    const ring = this.active && !this.muted && this.enabled;
    if (ring && this.timer === null) {
      this.beep();
      this.timer = window.setInterval(() => this.beep(), 2000);
    } else if (!ring && this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private beep(): void {
    const context = this.context;
    if (!context || context.state !== 'running') return;
    for (const offset of [0, 0.3]) {
      const start = context.currentTime + offset;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.22);
    }
  }
}
