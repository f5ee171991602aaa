import type { Alert, AlertType } from '@app/contracts/wire';
import { walkAlerts } from './api';
import { TYPES, TYPE_COLOURS } from './alert-types';
import { el, svg } from './dom';
import { duration, lang, t, typeLabel } from './i18n';

const DAYS = 30;
const MAX_PAGES = 20;

export interface ChartData {
  days: { start: number; counts: Record<AlertType, number> }[];
  medianAckMs: number | null;
  truncated: boolean;
  total: number;
}

function startOfDay(ms: number): number {
  const day = new Date(ms);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Reads every alert received in the last 30 days (newest first, stopping once older). */
export async function loadChartData(now = Date.now()): Promise<ChartData> {
  const first = startOfDay(now - (DAYS - 1) * 86_400_000);
  const alerts: Alert[] = [];
  const complete = await walkAlerts(
    {},
    (items) => {
      alerts.push(...items.filter((alert) => Date.parse(alert.receivedAt) >= first));
      const oldest = items.at(-1);
      return !(oldest && Date.parse(oldest.receivedAt) < first);
    },
    MAX_PAGES,
  );
  const days = Array.from({ length: DAYS }, (_, i) => {
    const day = new Date(first);
    day.setDate(day.getDate() + i);
    const counts = Object.fromEntries(TYPES.map((type) => [type, 0])) as Record<AlertType, number>;
    return { start: day.getTime(), counts };
  });
  const ackTimes: number[] = [];
  for (const alert of alerts) {
    const received = Date.parse(alert.receivedAt);
    const day = days.findLastIndex((d) => d.start <= received);
    if (day >= 0) days[day].counts[alert.type]++;
    if (alert.acknowledgedAt) ackTimes.push(Date.parse(alert.acknowledgedAt) - received);
  }
  return { days, medianAckMs: median(ackTimes), truncated: !complete, total: alerts.length };
}

/** Stacked bars, one per day, coloured by type; each bar has a tooltip with its counts. */
export function drawChart(figure: HTMLElement, medianEl: HTMLElement, data: ChartData): void {
  const width = 360;
  const height = 150;
  const top = 8;
  const bottom = 18;
  const left = 20;
  const right = 16;
  const barWidth = (width - left - right) / data.days.length;
  const max = Math.max(1, ...data.days.map((d) => TYPES.reduce((sum, type) => sum + d.counts[type], 0)));
  const scale = (height - top - bottom) / max;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${t('chart')}: ${data.total}`,
    class: 'chart',
  });
  chart.append(
    svg('line', { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: 'axis' }),
  );
  const maxLabel = svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end', class: 'tick' });
  maxLabel.textContent = String(max);
  chart.append(maxLabel);
  const dayFormat = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    day: 'numeric',
    month: 'short',
  });
  data.days.forEach((day, i) => {
    const x = left + i * barWidth;
    let y = height - bottom;
    const group = svg('g');
    const title = svg('title');
    title.textContent = `${dayFormat.format(day.start)}: ${
      TYPES.filter((type) => day.counts[type])
        .map((type) => `${typeLabel(type)} ${day.counts[type]}`)
        .join(', ') || '0'
    }`;
    group.append(title);
    for (const type of TYPES) {
      const h = day.counts[type] * scale;
      if (h <= 0) continue;
      y -= h;
      group.append(
        svg('rect', { x: x + 1, y, width: Math.max(1, barWidth - 2), height: h, fill: TYPE_COLOURS[type] }),
      );
    }
    group.append(
      svg('rect', { x, y: top, width: barWidth, height: height - top - bottom, fill: 'transparent' }),
    );
    chart.append(group);
    if ((data.days.length - 1 - i) % 7 === 0) {
      const label = svg('text', {
        x: x + barWidth / 2,
        y: height - 5,
        'text-anchor': 'middle',
        class: 'tick',
      });
      label.textContent = dayFormat.format(day.start);
      chart.append(label);
    }
  });
  const legend = el(
    'ul',
    { class: 'legend' },
    ...TYPES.map((type) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = TYPE_COLOURS[type];
      return el('li', {}, swatch, typeLabel(type));
    }),
  );
  const note = data.truncated
    ? el('p', { class: 'chart-note' }, t('chartTruncated', { n: data.total }))
    : null;
  figure.replaceChildren(chart, legend, ...(note ? [note] : []));
  figure.dataset.total = String(data.total);
  medianEl.textContent =
    data.medianAckMs === null ? t('medianAckNone') : t('medianAck', { t: duration(data.medianAckMs) });
}
