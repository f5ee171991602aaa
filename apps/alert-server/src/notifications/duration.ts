const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * `90s`, `5m`, `1h`, `1h30m`... in milliseconds; null for anything else. A bare number is
 * refused: whether `after: 60` means seconds or minutes is exactly the doubt to avoid in an
 * escalation.
 */
export function parseDuration(text: string): number | null {
  const parts = DURATION.exec(text);
  if (!parts || text === '') return null;
  const [hours, minutes, seconds] = parts.slice(1).map((part) => Number(part ?? 0));
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/** The shortest form `parseDuration` reads back, for messages (`90000` gives `1m30s`). */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ] as const;
  const text = parts.map(([value, unit]) => (value > 0 ? `${value}${unit}` : '')).join('');
  return text === '' ? '0s' : text;
}
