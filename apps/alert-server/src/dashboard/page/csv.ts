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

export function alertsToCsv(alerts: Alert[]): string {
  const lines = [COLUMNS.join(',')];
  for (const alert of alerts) lines.push(COLUMNS.map((name) => csvField(alert[name])).join(','));
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
