import type { Alert, AlertType } from '@app/contracts/wire';
import { svg } from './dom';

export const TYPES: readonly AlertType[] = ['fire', 'intrusion', 'medical', 'panic', 'test'];

/** Colours also used by the chart; icons are inline SVG so nothing is fetched from outside. */
export const TYPE_COLOURS: Record<AlertType, string> = {
  fire: '#d62828',
  intrusion: '#7b2cbf',
  medical: '#0077b6',
  panic: '#e85d04',
  test: '#6c757d',
};

const ICON_PATHS: Record<AlertType, string> = {
  fire: 'M12 1c1.2 4.2 6 6.5 6 12a6 6 0 0 1-12 0c0-3.2 1.8-5 2.6-7.4C10.4 7 11 9 11 11c1.6-1.6 1.8-5.5 1-10z',
  intrusion: 'M12 1 3 4.5v6.3c0 5.6 3.8 10.6 9 12.2 5.2-1.6 9-6.6 9-12.2V4.5zm-1 5h2v8h-2zm0 10h2v2h-2z',
  medical: 'M9 2h6v7h7v6h-7v7H9v-7H2V9h7z',
  panic: 'M12 1.5 1 21.5h22zm-1 7h2v7h-2zm0 9h2v2h-2z',
  test: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-1.5 14.6-4.3-4.3 1.4-1.4 2.9 2.9 6-6 1.4 1.4z',
};

export function typeIcon(type: AlertType): SVGElement {
  const icon = svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', class: 'type-icon' });
  icon.append(svg('path', { d: ICON_PATHS[type], fill: 'currentColor', 'fill-rule': 'evenodd' }));
  return icon;
}

/**
 * When the press happened. A Pi without a clock may send a date far in the past (or a skewed
 * one in the future): then the time of reception is the better guess.
 */
export function pressedAt(alert: Alert, now = Date.now()): number {
  const triggered = Date.parse(alert.triggeredAt);
  const received = Date.parse(alert.receivedAt);
  if (!Number.isFinite(triggered) || triggered > now + 5_000 || received - triggered > 86_400_000) {
    return received;
  }
  return Math.min(triggered, now);
}
