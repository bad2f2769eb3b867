/**
 * A small SVG line-chart writer (no dependency), shared by the simulation figures, the replay
 * benchmark and the dashboard: curves with optional shaded bands, axes with ticks and labels, a
 * legend, a title, a note in the bottom-right corner, vertical markers (e.g. the kept epoch), and a
 * <title>/<desc> text alternative for screen readers. Elements carry classes (chart-bg, chart-text,
 * chart-grid, chart-axis) so a page can restyle them for its theme; the attributes keep standalone
 * files readable on white.
 */

export interface ChartPoint {
  x: number;
  mean: number;
  /** Band limits; NaN (or absent) for curves without a band. */
  lo?: number;
  hi?: number;
}

export interface ChartSeries { name: string; points: readonly ChartPoint[] }

export interface ChartMarker { x: number; label: string }

export interface ChartOptions {
  title: string;
  /** Text alternative: what the chart shows, in a sentence or two. */
  description: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Format of y tick labels, e.g. percentages. */
  yFormat?: (v: number) => string;
  /** Bottom-right note inside the plot area. */
  note?: string;
  /** Dashed vertical lines with a label at the top of the plot. */
  markers?: readonly ChartMarker[];
  width?: number;
  height?: number;
  /** Prefix of the title/desc element ids; distinct per chart when several share one page. */
  idPrefix?: string;
  /** Whole-number x ticks only (iterations, epochs). */
  xIntegers?: boolean;
  /** Fixed y range (e.g. [0, 1] for shares); otherwise from the data and zero. */
  yRange?: [number, number];
}

/** Colour-blind-safe palette (Okabe-Ito), in legend order. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** "Nice" tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const fmt = (v: number) => String(+v.toFixed(2));
const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 640, height = o.height ?? 400;
  const id = o.idPrefix ?? 'chart';
  const margin = { left: 64, right: 16, top: 40, bottom: 52 };
  const legendRows = Math.ceil(o.series.length / 3);
  margin.bottom += legendRows * 18;
  const pw = width - margin.left - margin.right, ph = height - margin.top - margin.bottom;
  const pts = o.series.flatMap((s) => s.points);
  const xs = [...pts.map((p) => p.x), ...(o.markers ?? []).map((m) => m.x)];
  const ys = pts.flatMap((p) => [p.mean, p.lo, p.hi]).filter(finite);
  let xMin = xs.length ? Math.min(...xs) : 0, xMax = xs.length ? Math.max(...xs) : 1;
  if (xMax === xMin) xMax = xMin + 1;
  let yMin = o.yRange?.[0] ?? (ys.length ? Math.min(0, ...ys) : 0), yMax = o.yRange?.[1] ?? (ys.length ? Math.max(...ys) : 1);
  if (yMax === yMin) yMax = yMin + 1;
  const yTicks = niceTicks(yMin, yMax);
  yMin = Math.min(yMin, yTicks[0]!);
  yMax = Math.max(yMax, yTicks[yTicks.length - 1]!);
  let xTicks = niceTicks(xMin, xMax);
  if (o.xIntegers) {
    xTicks = xTicks.filter(Number.isInteger);
    if (xTicks.length < 2) xTicks = Array.from({ length: Math.floor(xMax) - Math.ceil(xMin) + 1 }, (_, i) => Math.ceil(xMin) + i);
  }
  const X = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * pw;
  const Y = (y: number) => margin.top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const yFmt = o.yFormat ?? fmt;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="sans-serif" font-size="12" class="chart">`);
  parts.push(`<title id="${id}-title">${escapeXml(o.title)}</title>`);
  parts.push(`<desc id="${id}-desc">${escapeXml(o.description)}</desc>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff" class="chart-bg"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" class="chart-text">${escapeXml(o.title)}</text>`);
  // Grid and ticks.
  for (const t of yTicks) {
    const y = Y(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5" class="chart-grid"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" class="chart-text">${escapeXml(yFmt(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = X(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + ph}" y2="${margin.top + ph + 4}" stroke="#333" class="chart-axis"/>`);
    parts.push(`<text x="${x}" y="${margin.top + ph + 16}" text-anchor="middle" class="chart-text">${escapeXml(fmt(t))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333" class="chart-axis"/>`);
  parts.push(`<text x="${margin.left + pw / 2}" y="${margin.top + ph + 34}" text-anchor="middle" class="chart-text">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + ph / 2}) rotate(-90)" text-anchor="middle" class="chart-text">${escapeXml(o.yLabel)}</text>`);
  for (const m of o.markers ?? []) {
    const x = X(m.x).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${margin.top + ph}" stroke="#333" stroke-dasharray="4 3" class="chart-axis chart-marker"/>`);
    // Labels near an edge grow inwards so they are not clipped.
    const at = X(m.x), anchor = at > margin.left + pw * 0.8 ? 'end' : at < margin.left + pw * 0.2 ? 'start' : 'middle';
    parts.push(`<text x="${x}" y="${margin.top - 4}" text-anchor="${anchor}" class="chart-text">${escapeXml(m.label)}</text>`);
  }
  // Bands, then lines on top.
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const band = s.points.filter((p) => finite(p.lo) && finite(p.hi));
    if (band.length > 1) {
      const upper = band.map((p) => `${X(p.x).toFixed(1)},${Y(p.hi!).toFixed(1)}`);
      const lower = band.slice().reverse().map((p) => `${X(p.x).toFixed(1)},${Y(p.lo!).toFixed(1)}`);
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
    }
  });
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const shown = s.points.filter((p) => Number.isFinite(p.mean));
    const line = shown.map((p) => `${X(p.x).toFixed(1)},${Y(p.mean).toFixed(1)}`);
    if (line.length) parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeXml(s.name)}</title></polyline>`);
    // A single point draws no line: a dot keeps it visible.
    if (line.length === 1) parts.push(`<circle cx="${X(shown[0]!.x).toFixed(1)}" cy="${Y(shown[0]!.mean).toFixed(1)}" r="3" fill="${color}"/>`);
  });
  if (o.note) parts.push(`<text x="${margin.left + pw - 6}" y="${margin.top + ph - 8}" text-anchor="end" fill="#555" class="chart-text chart-note">${escapeXml(o.note)}</text>`);
  // Legend below the x-axis label, three entries per row.
  const colWidth = pw / 3;
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const lx = margin.left + (i % 3) * colWidth;
    const ly = margin.top + ph + 52 + Math.floor(i / 3) * 18;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle" class="chart-text">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
