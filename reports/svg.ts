/**
 * Small SVG chart helpers for the HTML report: pure functions from data to an SVG string, drawn
 * at build time so the report needs no script and no network. Time runs along x in run seconds.
 */

export interface ChartSeries {
  name: string;
  color: string;
  /** [x, y]; y undefined = no data there (the line breaks). */
  points: ReadonlyArray<readonly [number, number | undefined]>;
  /** Fill the area under the line. */
  area?: boolean;
  dashed?: boolean;
}

/** A shaded span of x, e.g. a fault window. */
export interface ChartBand {
  from: number;
  to: number;
  label: string;
}

/** A vertical line at x: a release mark, a fault's onset, a figure recorded (pod Ready again). */
export interface ChartMarker {
  x: number;
  label: string;
  /** Styles the line: `mark` (release events, violet), `fault` (red), `figure` (green). */
  kind?: 'mark' | 'fault' | 'figure';
}

export interface LineChartSpec {
  title: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
  /** x range; defaults to the data's. */
  xDomain?: [number, number];
  /** y never starts above this (0 for rates, latencies). */
  yMin?: number;
  /** Smallest top of the y axis, so a flat line at 0 still has a scale. */
  yMinTop?: number;
  /** The y axis never runs above this (1 = 100 % for ratios). */
  yMaxTop?: number;
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  /** Add the SVG namespace, for an .svg file (HTML5 inline SVG does not need it). */
  standalone?: boolean;
  bands?: ChartBand[];
  markers?: ChartMarker[];
}

import { escapeXml } from '../core/xml.ts';
export { escapeXml };

/** About `count` round tick values (1, 2, 5 x 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  const ticks: number[] = [];
  // Up to the first tick at or above max, so the axis always has a label above the data.
  for (let v = Math.ceil(min / step - 1e-9) * step; ; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max - step * 1e-9) break;
  }
  return ticks;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];

/** Tick values in seconds at clock-friendly steps (10 s, 1 min, 5 min, ...). */
export function timeTicks(min: number, max: number, count = 8): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const step = TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 3600) * 3600;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(v);
  return ticks;
}

/** Seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 920;
  const H = spec.height ?? 240;
  const m = { left: 64, right: 20, top: 40, bottom: 34 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const fx = spec.formatX ?? clock;
  const fy = spec.formatY ?? ((y: number) => String(y));

  const xs: number[] = [];
  let yMax = -Infinity;
  let yLow = Infinity;
  for (const s of spec.series) {
    for (const [x, y] of s.points) {
      xs.push(x);
      if (y !== undefined && Number.isFinite(y)) {
        if (y > yMax) yMax = y;
        if (y < yLow) yLow = y;
      }
    }
  }
  const title = `<text class="chart-title" x="${m.left}" y="18">${escapeXml(spec.title)}</text>`;
  const ns = spec.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  const open = `<svg${ns} class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(spec.title)}">`;
  if (yMax === -Infinity) {
    return `${open}${title}<rect class="frame" x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/><text class="no-data" x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" dominant-baseline="middle">no data</text></svg>`;
  }

  const [x0, x1] = spec.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  const xSpan = x1 > x0 ? x1 - x0 : 1;
  const yBottom = Math.min(spec.yMin ?? 0, yLow);
  const cap = spec.yMaxTop ?? Infinity;
  const yTicks = niceTicks(yBottom, Math.min(cap, Math.max(yMax * 1.02, spec.yMinTop ?? 0, yBottom + 1e-9)), 4).filter((t, i) => i === 0 || t <= cap);
  const yTop = Math.min(Math.max(yTicks.at(-1)!, yMax), Math.max(cap, yBottom + 1e-9));
  const ySpan = yTop > yBottom ? yTop - yBottom : 1;
  const px = (x: number) => r1(m.left + ((x - x0) / xSpan) * pw);
  const py = (y: number) => r1(m.top + ph - ((y - yBottom) / ySpan) * ph);

  const parts: string[] = [open, title];
  // Legend, right-aligned on the title line.
  let lx = W - m.right;
  const legend: string[] = [];
  for (const s of [...spec.series].reverse()) {
    const w = 22 + s.name.length * 6.6;
    lx -= w + 10;
    legend.push(
      `<g class="legend-item"><line x1="${r1(lx)}" y1="14" x2="${r1(lx + 16)}" y2="14" stroke="${s.color}" stroke-width="${s.area ? 6 : 2.5}"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/><text x="${r1(lx + 21)}" y="18">${escapeXml(s.name)}</text></g>`,
    );
  }
  parts.push(`<g class="legend">${legend.join('')}</g>`);

  // Fault windows behind everything.
  for (const b of spec.bands ?? []) {
    const a = px(Math.max(x0, b.from));
    const z = px(Math.min(x1, b.to));
    if (z <= a) continue;
    parts.push(`<g class="band"><title>${escapeXml(`${b.label}: ${fx(b.from)} to ${fx(b.to)}`)}</title><rect x="${a}" y="${m.top}" width="${r1(z - a)}" height="${ph}"/><text x="${r1(a + 4)}" y="${m.top + 12}">${escapeXml(truncate(b.label, Math.max(4, Math.floor((z - a) / 6.5))))}</text></g>`);
  }

  // Grid and axes.
  const grid: string[] = [];
  for (const t of yTicks) {
    const y = py(t);
    grid.push(`<line class="grid" x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}"/><text class="tick" x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(fy(t))}</text>`);
  }
  for (const t of timeTicks(x0, x1, Math.max(2, Math.floor(pw / 90)))) {
    const x = px(t);
    const anchor = x > m.left + pw - 24 ? 'end' : 'middle';
    grid.push(`<line class="tickmark" x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}"/><text class="tick" x="${x}" y="${m.top + ph + 18}" text-anchor="${anchor}">${escapeXml(fx(t))}</text>`);
  }
  grid.push(`<line class="axis" x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/>`);
  parts.push(`<g class="axes">${grid.join('')}</g>`);

  // Series.
  for (const s of spec.series) {
    const segments = segmentsOf(s.points, px, py);
    if (!segments.length) continue;
    const line = segments.map((seg) => 'M' + seg.map(([x, y]) => `${x} ${y}`).join('L')).join('');
    if (s.area) {
      const base = py(Math.max(yBottom, 0));
      const fill = segments.map((seg) => `M${seg[0]![0]} ${base}L` + seg.map(([x, y]) => `${x} ${y}`).join('L') + `L${seg.at(-1)![0]} ${base}Z`).join('');
      parts.push(`<path class="area" d="${fill}" fill="${s.color}"/>`);
    }
    parts.push(`<path class="line" d="${line}" stroke="${s.color}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}><title>${escapeXml(s.name)}</title></path>`);
  }

  // Events on top: release marks, fault onsets, figures recorded. Each label is drawn whole (up to
  // 40 characters) to the right of its line, or to its left near the right edge, and only where it
  // does not run into another label; every marker keeps its full text as a tooltip.
  const taken: Array<[number, number]> = [];
  const CH = 6.2;
  for (const mk of [...(spec.markers ?? [])].sort((a, b) => a.x - b.x)) {
    if (mk.x < x0 || mk.x > x1) continue;
    const x = px(mk.x);
    const text = truncate(mk.label, 40);
    const w = text.length * CH;
    const right = x + 3 + w <= W - 2;
    const [from, to] = right ? [x + 3, x + 3 + w] : [x - 3 - w, x - 3];
    // A fault's onset is named by its shaded band already: its line carries a tooltip only.
    const fits = mk.kind !== 'fault' && from >= 2 && !taken.some(([a, z]) => from < z + 8 && to > a - 8);
    if (fits) taken.push([from, to]);
    const label = fits ? `<text x="${r1(right ? x + 3 : x - 3)}" y="${m.top - 5}"${right ? '' : ' text-anchor="end"'}>${escapeXml(text)}</text>` : '';
    parts.push(`<g class="marker ${mk.kind ?? 'mark'}"><title>${escapeXml(`${fx(mk.x)} ${mk.label}`)}</title><line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}"/>${label}</g>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function segmentsOf(points: LineChartSpec['series'][number]['points'], px: (x: number) => number, py: (y: number) => number): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  for (const [x, y] of points) {
    if (y === undefined || !Number.isFinite(y)) {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push([px(x), py(y)]);
  }
  if (cur.length) out.push(cur);
  // A lone point would draw nothing: give it a hair of width.
  return out.map((seg) => (seg.length === 1 ? [seg[0]!, [seg[0]![0] + 1, seg[0]![1]]] : seg));
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}
