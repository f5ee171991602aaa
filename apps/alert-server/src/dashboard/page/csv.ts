import type { Alert } from '@app/contracts/wire';

const COLUMNS: (keyof Alert)[] = [
  'id',
  'receivedAt',
  'triggeredAt',
  'type',
  'severity',
  'status',
  'deviceId',
  'location',
  'button',
  'message',
  'acknowledgedAt',
  'acknowledgedBy',
  'acknowledgementNote',
  'resolvedAt',
  'resolvedBy',
  'resolutionNote',
];

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, separator or line break. Text that
 * a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote mark, since
 * messages come from devices.
 */
export function csvField(value: string | null | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Seconds from the alert's reception to its acknowledgement, whole (a decimal point reads as a
 * date or as text in some spreadsheets' locales); empty when it was never acknowledged. Both
 * times are the server's: a device's clock does not skew it.
 */
export function acknowledgementDelaySeconds(alert: Alert): string {
  if (!alert.acknowledgedAt) return '';
  const ms = Date.parse(alert.acknowledgedAt) - Date.parse(alert.receivedAt);
  return Number.isFinite(ms) ? String(Math.max(0, Math.round(ms / 1000))) : '';
}

/**
 * The alerts as CSV, one line each, with two derived columns: the acknowledgement delay and
 * the channels that accepted a notification of it (`channels`, by alert id, from timelines).
 */
export function alertsToCsv(
  alerts: Alert[],
  channels: ReadonlyMap<string, readonly string[]> = new Map(),
): string {
  const lines = [[...COLUMNS, 'acknowledgementDelaySeconds', 'channelsNotified'].join(',')];
  for (const alert of alerts) {
    const fields = COLUMNS.map((name) => csvField(alert[name]));
    fields.push(acknowledgementDelaySeconds(alert), csvField((channels.get(alert.id) ?? []).join('; ')));
    lines.push(fields.join(','));
  }
  // The BOM lets spreadsheet programs read the accents as UTF-8.
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
