import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { launchChromium } from './browser';

/**
 * The Grafana dashboard of deploy/grafana/ read as Grafana reads it, without Grafana (it cannot
 * be installed here): the PromQL each panel sends, with Grafana's variables replaced by what
 * Grafana would send, and a preview drawn from Prometheus's answers to those same queries.
 * The preview is a picture of our dashboard's data and layout, not of Grafana's rendering.
 */

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GrafanaTarget {
  refId: string;
  expr?: string;
  legendFormat?: string;
  instant?: boolean;
  format?: string;
  hide?: boolean;
  datasource?: { type?: string; uid?: string };
}

interface Threshold {
  color: string;
  value: number | null;
}

interface ValueMapping {
  type: string;
  options: Record<string, { text?: string; color?: string }>;
}

interface FieldDefaults {
  unit?: string;
  decimals?: number;
  min?: number;
  mappings?: ValueMapping[];
  thresholds?: { steps: Threshold[] };
}

interface FieldOverride {
  matcher: { id: string; options: string };
  properties: Array<{ id: string; value: unknown }>;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults?: FieldDefaults; overrides?: FieldOverride[] };
  transformations?: Array<{ id: string; options?: Record<string, unknown> }>;
  /** A collapsed row keeps its panels here. */
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  includeAll?: boolean;
  multi?: boolean;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

export interface QueryTiming {
  /** The data source's scrape interval (Grafana's "Scrape interval" setting; its default is 15 s). */
  scrapeIntervalSeconds?: number;
  /** `$__interval`: the step Grafana picks for the time range and the panel's width; at least the scrape interval. */
  intervalSeconds?: number;
  /** The dashboard's time range (`$__range`); default 6 h, the dashboard's own default. */
  rangeSeconds?: number;
}

/** Every panel, those inside collapsed rows included, in the dashboard's order. */
export function allPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** A duration as PromQL and Grafana write it: 4s, 1m, 1m30s, 6h. */
export function promDuration(seconds: number): string {
  if (!Number.isInteger(seconds)) return `${Math.round(seconds * 1000)}ms`;
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

/**
 * What Grafana puts in place of each variable. `$__rate_interval` is Grafana's
 * max($__interval + scrape interval, 4 × scrape interval): a rate() window always holding at
 * least two scrapes. A multi-value variable with "All" selected becomes `.*` (Grafana sends
 * the alternation of the values it found, a subset of what `.*` matches).
 */
function variableValues(dashboard: GrafanaDashboard, timing: QueryTiming): Map<string, string> {
  const scrape = timing.scrapeIntervalSeconds ?? 15;
  const interval = Math.max(timing.intervalSeconds ?? scrape, scrape);
  const range = timing.rangeSeconds ?? 6 * 3_600;
  const values = new Map<string, string>([
    ['__interval', promDuration(interval)],
    ['__interval_ms', String(interval * 1000)],
    ['__rate_interval', promDuration(Math.max(interval + scrape, 4 * scrape))],
    ['__range', `${range}s`],
    ['__range_s', String(range)],
    ['__range_ms', String(range * 1000)],
  ]);
  for (const variable of dashboard.templating.list) {
    // A data source variable picks where a query goes; inside PromQL it would be a mistake.
    if (variable.type === 'datasource') continue;
    if (!variable.includeAll) {
      throw new Error(`variable ${variable.name}: without "All", the value a query gets is unknown here`);
    }
    values.set(variable.name, '.*');
  }
  return values;
}

/** `$name`, `${name}`, `${name:format}` and the old `[[name]]`; `$1` (label_replace) is not a variable. */
const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;

export function substituteVariables(expr: string, values: Map<string, string>, where = ''): string {
  return expr.replace(VARIABLE, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare!;
    if (/^\d+$/.test(name)) return whole;
    const value = values.get(name);
    if (value === undefined) {
      throw new Error(
        `${where}unknown variable ${whole} in ${expr}: teach dashboardQueries what Grafana sends for it`,
      );
    }
    return value;
  });
}

/** The PromQL of every visible target of every panel, as Grafana would send it. */
export function dashboardQueries(dashboard: GrafanaDashboard, timing: QueryTiming = {}): PanelQuery[] {
  const values = variableValues(dashboard, timing);
  const queries: PanelQuery[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (target.hide) continue;
      if (!target.expr) throw new Error(`panel "${panel.title}" target ${target.refId} has no expr`);
      const where = `panel "${panel.title}" ${target.refId}: `;
      queries.push({
        panel: panel.title,
        refId: target.refId,
        expr: substituteVariables(target.expr, values, where),
      });
    }
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------
// The preview

interface Series {
  name: string;
  labels: Record<string, string>;
  points: Array<[number, number]>;
  color?: string;
}

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

export interface PreviewOptions {
  prometheusUrl: string;
  dashboard: GrafanaDashboard;
  /** The PNG to write. */
  file: string;
  /** Unix seconds. */
  start: number;
  end: number;
  step: number;
  scrapeIntervalSeconds?: number;
  /** Page width in CSS pixels. */
  width?: number;
}

async function promApi(baseUrl: string, path: string, params: Record<string, string>): Promise<PromSeries[]> {
  const url = new URL(`/api/v1/${path}`, baseUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (body.status !== 'success' || !body.data) throw new Error(`${path} ${params.query}: ${body.error}`);
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as PromSeries[];
}

/** Grafana's legend: `{{label}}` replaced by the series' label; without a format, the series' selector. */
function legendName(format: string | undefined, labels: Record<string, string>): string {
  if (format && format !== '__auto')
    return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
  const { __name__: name = '', ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ');
  return inner ? `${name}{${inner}}` : name || 'value';
}

const COLORS: Record<string, string> = {
  green: '#73bf69',
  red: '#f2495c',
  orange: '#ff9830',
  yellow: '#fade2a',
  blue: '#5794f2',
  purple: '#b877d9',
  text: '#ccccdc',
};
/** Grafana's classic palette, in its order. */
const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a6',
  '#705da0',
  '#508642',
  '#cca300',
  '#447ebc',
  '#c15c17',
  '#890f02',
  '#0a437c',
  '#6d1f62',
  '#584477',
];

const color = (name: string | undefined): string => (name ? (COLORS[name] ?? name) : COLORS.text);

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}

/** A value in the panel's unit, as Grafana would roughly show it. */
export function formatValue(value: number, unit = 'short', decimals?: number): string {
  if (Number.isNaN(value)) return 'NaN';
  // Grafana shows local time; the preview says UTC, as its header does.
  if (unit === 'dateTimeAsIso') return new Date(value).toISOString().slice(0, 19).replace('T', ' ');
  const fixed = (v: number, fallback: number) => {
    const digits = decimals ?? (Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : fallback);
    return v.toFixed(digits);
  };
  if (unit === 's') {
    const abs = Math.abs(value);
    if (abs === 0) return '0 s';
    if (abs < 1e-3) return `${fixed(value * 1e6, 1)} µs`;
    if (abs < 1) return `${fixed(value * 1e3, 1)} ms`;
    if (abs < 60) return `${fixed(value, 2)} s`;
    if (abs < 3600) return `${fixed(value / 60, 1)} min`;
    return `${fixed(value / 3600, 1)} hour`;
  }
  if (unit === 'bytes') {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let scaled = value;
    let index = 0;
    while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
      scaled /= 1024;
      index++;
    }
    return `${fixed(scaled, 1)} ${units[index]}`;
  }
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${fixed(value / 1e6, 2)} Mil`;
  if (abs >= 1e3) return `${fixed(value / 1e3, 2)} K`;
  return fixed(value, 2);
}

function mapped(value: number, mappings: ValueMapping[] = []): { text?: string; color?: string } {
  for (const mapping of mappings) {
    if (mapping.type === 'value' && mapping.options[String(value)]) return mapping.options[String(value)];
  }
  return {};
}

function thresholdColor(value: number, defaults: FieldDefaults): string {
  let chosen = 'green';
  for (const step of defaults.thresholds?.steps ?? []) {
    if (step.value === null || value >= step.value) chosen = step.color;
  }
  return color(chosen);
}

function overrideOf(panel: GrafanaPanel, name: string, property: string): unknown {
  for (const override of panel.fieldConfig?.overrides ?? []) {
    if (override.matcher.id !== 'byName' || override.matcher.options !== name) continue;
    const found = override.properties.find((p) => p.id === property);
    if (found) return found.value;
  }
  return undefined;
}

/**
 * Ticks at a round step (1, 2, 5 × 10^n) covering [min, max]; bytes in round KiB, MiB, GiB
 * (as 1024 × 10^n), whole numbers when the panel shows no decimals.
 */
function niceTicks(min: number, max: number, unit?: string, decimals?: number, count = 4): number[] {
  const scale =
    unit === 'bytes' ? 1024 ** Math.max(0, Math.floor(Math.log(Math.max(max, 1)) / Math.log(1024))) : 1;
  const raw = (max - min) / scale / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)! * scale;
  if (decimals === 0) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

const hhmmss = (unix: number) => new Date(unix * 1000).toISOString().slice(11, 19);

interface Box {
  width: number;
  height: number;
}

function timeAxis(start: number, end: number, x: (t: number) => number, top: number, bottom: number): string {
  const span = end - start;
  const step = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => span / s <= 6) ?? 7200;
  const parts: string[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${bottom}" class="grid"/>`,
      `<text x="${x(t)}" y="${bottom + 13}" text-anchor="middle">${hhmmss(t)}</text>`,
    );
  }
  return parts.join('');
}

function legend(series: Series[], unit: string | undefined, decimals?: number): string {
  return `<div class="legend">${series
    .map((s) => {
      const last = [...s.points].reverse().find(([, v]) => !Number.isNaN(v));
      const value = last ? formatValue(last[1], unit, decimals) : '–';
      return `<span><i style="background:${s.color}"></i>${escapeHtml(s.name)} <b>${escapeHtml(value)}</b></span>`;
    })
    .join('')}</div>`;
}

function colorSeries(series: Series[], panel: GrafanaPanel): void {
  series.forEach((s, index) => {
    const fixed = overrideOf(panel, s.name, 'color') as { fixedColor?: string } | undefined;
    s.color = fixed?.fixedColor ? color(fixed.fixedColor) : PALETTE[index % PALETTE.length];
  });
}

function lineChart(panel: GrafanaPanel, series: Series[], box: Box, start: number, end: number): string {
  const defaults = panel.fieldConfig?.defaults ?? {};
  colorSeries(series, panel);
  // Every series in the legend, as Grafana lists them: its rows, measured roughly (7 px a
  // character, the swatch and gaps), take what they need below the chart.
  let rows = series.length ? 1 : 0;
  let used = 0;
  for (const s of series) {
    const width = 7 * (s.name.length + 8) + 40;
    if (used > 0 && used + width > box.width - 16) {
      rows++;
      used = 0;
    }
    used += width;
  }
  const legendHeight = 20 * rows;
  const height = box.height - legendHeight;
  const [left, right, top, bottom] = [62, box.width - 10, 8, height - 20];
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => Number.isFinite(v));
  let min = defaults.min ?? (values.length ? Math.min(...values) : 0);
  let max = values.length ? Math.max(...values, min) : 1;
  if (max <= min) max = min + (defaults.unit === 's' ? 0.001 : 1);
  const ticks = niceTicks(min, max, defaults.unit, defaults.decimals);
  min = Math.min(min, ticks[0]);
  max = Math.max(max, ticks.at(-1)!);
  const x = (t: number) => (left + ((t - start) / (end - start)) * (right - left)).toFixed(1);
  const y = (v: number) => (bottom - ((v - min) / (max - min)) * (bottom - top)).toFixed(1);
  const parts = [timeAxis(start, end, (t) => Number(x(t)), top, bottom)];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`,
      `<text x="${left - 6}" y="${Number(y(tick)) + 4}" text-anchor="end">${escapeHtml(formatValue(tick, defaults.unit, defaults.decimals))}</text>`,
    );
  }
  for (const s of series) {
    // A NaN (no observation in the window) breaks the line, as Grafana leaves a gap.
    let path = '';
    let pen = 'M';
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) {
        pen = 'M';
        continue;
      }
      path += `${pen}${x(t)},${y(v)}`;
      pen = 'L';
    }
    if (path) parts.push(`<path d="${path}" stroke="${s.color}" fill="none" stroke-width="2"/>`);
  }
  if (!values.length)
    parts.push(
      `<text x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle" class="nodata">No data</text>`,
    );
  return `<svg width="${box.width}" height="${height}">${parts.join('')}</svg>${legend(series, defaults.unit, defaults.decimals)}`;
}

function stateTimeline(
  panel: GrafanaPanel,
  series: Series[],
  box: Box,
  start: number,
  end: number,
  step: number,
): string {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const [left, right, top] = [120, box.width - 10, 4];
  const bottom = box.height - 40;
  const rowHeight = series.length ? (bottom - top) / series.length : 0;
  const x = (t: number) => left + ((t - start) / (end - start)) * (right - left);
  const parts = [timeAxis(start, end, x, top, bottom)];
  series.forEach((s, row) => {
    const y = top + row * rowHeight;
    parts.push(
      `<text x="${left - 6}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${escapeHtml(s.name)}</text>`,
    );
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) continue;
      const mappedColor = mapped(v, defaults.mappings).color;
      const fill = mappedColor ? color(mappedColor) : thresholdColor(v, defaults);
      parts.push(
        `<rect x="${x(t - step / 2).toFixed(1)}" y="${(y + rowHeight * 0.1).toFixed(1)}" width="${((step / (end - start)) * (right - left) + 0.5).toFixed(1)}" height="${(rowHeight * 0.8).toFixed(1)}" fill="${fill}"/>`,
      );
    }
  });
  const keys = Object.values(defaults.mappings?.[0]?.options ?? {});
  const legendHtml = `<div class="legend">${keys
    .map((key) => `<span><i style="background:${color(key.color)}"></i>${escapeHtml(key.text ?? '')}</span>`)
    .join('')}</div>`;
  return `<svg width="${box.width}" height="${bottom + 18}">${parts.join('')}</svg>${legendHtml}`;
}

function statPanel(panel: GrafanaPanel, series: Series[], box: Box): string {
  const defaults = panel.fieldConfig?.defaults ?? {};
  if (!series.length) return `<div class="stat" style="background:#22252b">No data</div>`;
  const fontSize = Math.min(box.height * 0.45, (box.width / series.length) * 0.3);
  return series
    .map((s) => {
      const last = [...s.points].reverse().find(([, v]) => !Number.isNaN(v));
      if (!last) return `<div class="stat" style="background:#22252b">No data</div>`;
      const mapping = mapped(last[1], defaults.mappings);
      const text = mapping.text ?? formatValue(last[1], defaults.unit, defaults.decimals);
      const background = mapping.color ? color(mapping.color) : thresholdColor(last[1], defaults);
      return `<div class="stat" style="background:${background}"><small>${escapeHtml(s.name)}</small><span style="font-size:${fontSize.toFixed(0)}px">${escapeHtml(text)}</span></div>`;
    })
    .join('');
}

/** Grafana's "merge" then "organize": one row per label set, a "Value #refId" column per query. */
function table(panel: GrafanaPanel, results: Array<{ refId: string; series: PromSeries[] }>): string {
  const rows = new Map<string, Record<string, string | number>>();
  const columns: string[] = [];
  const addColumn = (name: string) => {
    if (!columns.includes(name)) columns.push(name);
  };
  for (const { refId, series } of results) {
    for (const one of series) {
      const labels = Object.fromEntries(Object.entries(one.metric).filter(([name]) => name !== '__name__'));
      const key = JSON.stringify(Object.entries(labels).sort());
      const row = rows.get(key) ?? { ...labels };
      Object.keys(labels).forEach(addColumn);
      row[`Value #${refId}`] = Number(one.value?.[1]);
      rows.set(key, row);
    }
    addColumn(`Value #${refId}`);
  }
  const organize = panel.transformations?.find((t) => t.id === 'organize')?.options ?? {};
  const rename = (organize.renameByName ?? {}) as Record<string, string>;
  const order = (organize.indexByName ?? {}) as Record<string, number>;
  const excluded = (organize.excludeByName ?? {}) as Record<string, boolean>;
  const shown = columns.filter((c) => !excluded[c]).sort((a, b) => (order[a] ?? 99) - (order[b] ?? 99));
  const header = shown.map((c) => `<th>${escapeHtml(rename[c] ?? c)}</th>`).join('');
  const body = [...rows.values()]
    .sort((a, b) => String(a[shown[0]]).localeCompare(String(b[shown[0]])))
    .map((row) => {
      const cells = shown.map((column) => {
        const name = rename[column] ?? column;
        const value = row[column];
        if (typeof value !== 'number') return `<td>${escapeHtml(value ?? '')}</td>`;
        const mappings = overrideOf(panel, name, 'mappings') as ValueMapping[] | undefined;
        const mapping = mapped(value, mappings);
        const unit = overrideOf(panel, name, 'unit') as string | undefined;
        const decimals = overrideOf(panel, name, 'decimals') as number | undefined;
        const text = mapping.text ?? formatValue(value, unit, decimals);
        const style = mapping.color ? ` style="background:${color(mapping.color)};color:#111"` : '';
        return `<td${style}>${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table><thead><tr>${header}</tr></thead><tbody>${body}</tbody></table>`;
}

const CELL_HEIGHT = 30;
const MARGIN = 8;

const STYLE = `
  body { margin: 0; background: #111217; color: #ccccdc; font: 12px Inter, "DejaVu Sans", Helvetica, Arial, sans-serif; }
  header { height: 48px; display: flex; align-items: center; gap: 16px; padding: 0 16px; border-bottom: 1px solid #2c3235; }
  header h1 { font-size: 18px; font-weight: 500; margin: 0; color: #fff; }
  header span { color: #8e8e8e; }
  main { position: relative; margin: 8px; }
  .panel { position: absolute; box-sizing: border-box; background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; overflow: hidden; }
  .panel h2 { font-size: 13px; font-weight: 500; margin: 0; height: 28px; line-height: 28px; padding: 0 8px; color: #ccccdc; }
  .row { position: absolute; font-size: 15px; font-weight: 500; color: #fff; line-height: 30px; }
  svg text { fill: #8e8e8e; font-size: 10px; }
  svg .grid { stroke: #2c3235; stroke-width: 1; }
  svg .nodata { font-size: 14px; }
  .legend { display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 0 8px; }
  .legend span { white-space: nowrap; line-height: 18px; }
  .legend i { display: inline-block; width: 14px; height: 4px; margin-right: 6px; vertical-align: middle; border-radius: 2px; }
  .legend b { font-weight: 400; color: #8e8e8e; margin-left: 4px; }
  .body { display: flex; gap: 4px; padding: 0 4px 4px; }
  .stat { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: center; color: #fff; border-radius: 2px; }
  .stat small { font-size: 12px; opacity: 0.85; }
  .stat span { font-weight: 500; line-height: 1.1; }
  table { width: 100%; border-collapse: collapse; }
  th { text-align: left; color: #6e9fff; font-weight: 500; border-bottom: 1px solid #2c3235; padding: 4px 8px; }
  td { border-bottom: 1px solid #22252b; padding: 4px 8px; }
`;

/**
 * Queries Prometheus for each target of each panel over [start, end] (instant queries at `end`
 * for instant targets, as a table shows now), lays the panels out from their gridPos on
 * Grafana's 24-column grid, draws them, and screenshots the page with Chromium.
 */
export async function renderDashboardPreview(options: PreviewOptions): Promise<void> {
  const { prometheusUrl, dashboard, file, start, end, step } = options;
  const width = options.width ?? 1600;
  const values = variableValues(dashboard, {
    scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? step,
    intervalSeconds: step,
    rangeSeconds: end - start,
  });
  const columnWidth = width / 24;
  let pageHeight = 0;
  const blocks: string[] = [];
  for (const panel of allPanels(dashboard)) {
    const { x, y, w, h } = panel.gridPos;
    const left = x * columnWidth;
    const top = y * (CELL_HEIGHT + MARGIN);
    const boxWidth = w * columnWidth - MARGIN;
    const boxHeight = h * CELL_HEIGHT + (h - 1) * MARGIN;
    pageHeight = Math.max(pageHeight, top + boxHeight);
    if (panel.type === 'row') {
      blocks.push(`<div class="row" style="left:${left}px;top:${top}px">${escapeHtml(panel.title)}</div>`);
      continue;
    }
    const targets = (panel.targets ?? []).filter((t) => !t.hide);
    const results = await Promise.all(
      targets.map(async (target) => {
        const expr = substituteVariables(target.expr ?? '', values, `panel "${panel.title}": `);
        const series = target.instant
          ? await promApi(prometheusUrl, 'query', { query: expr, time: String(end) })
          : await promApi(prometheusUrl, 'query_range', {
              query: expr,
              start: String(start),
              end: String(end),
              step: String(step),
            });
        return { refId: target.refId, legendFormat: target.legendFormat, series };
      }),
    );
    const series: Series[] = results.flatMap(({ legendFormat, series: found }) =>
      found.map((one) => ({
        name: legendName(legendFormat, one.metric),
        labels: one.metric,
        points: (one.values ?? (one.value ? [one.value] : [])).map(
          ([t, v]) => [t, Number(v)] as [number, number],
        ),
      })),
    );
    series.sort((a, b) => a.name.localeCompare(b.name));
    const inner = { width: boxWidth - 2, height: boxHeight - 30 };
    let content: string;
    if (panel.type === 'stat')
      content = `<div class="body" style="height:${inner.height - 4}px">${statPanel(panel, series, inner)}</div>`;
    else if (panel.type === 'table') content = table(panel, results);
    else if (panel.type === 'state-timeline') content = stateTimeline(panel, series, inner, start, end, step);
    else content = lineChart(panel, series, inner, start, end);
    blocks.push(
      `<section class="panel" style="left:${left}px;top:${top}px;width:${boxWidth}px;height:${boxHeight}px"><h2>${escapeHtml(panel.title)}</h2>${content}</section>`,
    );
  }
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head><body>
<header><h1>${escapeHtml(dashboard.title)}</h1><span>${hhmmss(start)} to ${hhmmss(end)} UTC · step ${step}s · preview drawn from Prometheus with the dashboard's queries (not Grafana)</span></header>
<main style="height:${pageHeight}px;width:${width}px">${blocks.join('\n')}</main></body></html>`;

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: width + 16, height: 900 } });
    await page.setContent(html);
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  } finally {
    await browser.close();
  }
}
