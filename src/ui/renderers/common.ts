/**
 * Shared pieces of the d3 renderers: chart geometry, palettes, number formats and the few
 * SVG helpers every chart uses. Renderers set presentation attributes (fill, stroke, font-size)
 * directly on the elements instead of relying on CSS classes, so an exported SVG looks the same
 * as the one on screen without copying stylesheets.
 */
import * as d3 from 'd3';

/** Pixel margins around a chart's plotting area. */
export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Size of a chart in CSS pixels (the SVG's width/height and viewBox). */
export interface ChartSize {
  width: number;
  height: number;
}

export const DEFAULT_MARGIN: Margin = { top: 28, right: 16, bottom: 40, left: 56 };

/** Minimum font size for anything a lecture audience must read, px. */
export const FONT_SIZE = 12;
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const TEXT_COLOUR = '#1a1a1a';
export const GRID_COLOUR = '#d9d9d9';
export const NULL_COLOUR = '#555555';

/**
 * Okabe-Ito palette (colour-blind safe), in the order series are assigned.
 * Black is kept last: it is reserved for nulls/references in most charts.
 */
export const OKABE_ITO = [
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#0072B2', // blue
  '#CC79A7', // reddish purple
  '#F0E442', // yellow
  '#000000',
] as const;

/** Fixed colours per flip ranking so every chart uses the same one for the same ranking. */
export const RANKING_COLOURS: Record<string, string> = {
  top: '#D55E00',
  bottom: '#0072B2',
  saliency: '#009E73',
  taylor: '#CC79A7',
  last: '#E69F00',
  matched: '#56B4E9',
  matched_time: '#8c564b',
  random: '#7f7f7f',
};

/** Ranking labels and order are defined once in core (the verdicts use the same words). */
export { RANKING_LABELS, RANKING_ORDER, rankingLabel } from '../../core/sensitivity/rankingNames';

/**
 * d3 number formatting with an ASCII hyphen-minus (d3's default is U+2212), so numbers copied
 * from tooltips and tables, or read by automation, parse with parseFloat.
 */
export const asciiFormat = d3.formatLocale({ decimal: '.', thousands: ',', grouping: [3], currency: ['', ''], minus: '-' }).format;

/** Formats a number compactly for tick labels and tooltips (3 significant digits, NaN as "–"). */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '–' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return asciiFormat(`.${digits}~g`)(v);
}

/** Formats a p-value: "<1e-4" below 1e-4, otherwise 2 significant digits. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 1e-4) return '<1e-4';
  return asciiFormat('.2~g')(p);
}

/**
 * Empties `svg` and sets its size and viewBox, returning the d3 selection and the inner
 * plotting-area group translated by the margin.
 */
export function prepareSvg(
  svg: SVGSVGElement,
  size: ChartSize,
  margin: Margin = DEFAULT_MARGIN,
): {
  root: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  plot: d3.Selection<SVGGElement, unknown, null, undefined>;
  innerWidth: number;
  innerHeight: number;
} {
  const root = d3.select(svg);
  root.selectAll('*').remove();
  root
    .attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('width', size.width)
    .attr('height', size.height)
    .attr('viewBox', `0 0 ${size.width} ${size.height}`)
    .attr('font-family', FONT_FAMILY)
    .attr('font-size', FONT_SIZE)
    .attr('fill', TEXT_COLOUR);
  const plot = root.append('g').attr('class', 'plot-area').attr('transform', `translate(${margin.left},${margin.top})`);
  return {
    root,
    plot,
    innerWidth: Math.max(1, size.width - margin.left - margin.right),
    innerHeight: Math.max(1, size.height - margin.top - margin.bottom),
  };
}

/** Styles a d3 axis group for projection: >= 12 px dark text, grey domain line. */
export function styleAxis(g: d3.Selection<SVGGElement, unknown, null, undefined>): void {
  g.attr('font-size', FONT_SIZE).attr('font-family', FONT_FAMILY);
  g.selectAll('text').attr('fill', TEXT_COLOUR);
  g.selectAll('line').attr('stroke', '#666');
  g.selectAll('path.domain').attr('stroke', '#666');
}

/** Appends the house value axis (left, `ticks` ticks, formatNumber labels) to `parent`: class y-axis. */
export function appendValueAxis(
  parent: d3.Selection<SVGGElement, unknown, null, undefined>,
  y: d3.ScaleContinuousNumeric<number, number>,
  ticks: number,
): d3.Selection<SVGGElement, unknown, null, undefined> {
  const g = parent
    .append('g')
    .attr('class', 'y-axis')
    .call(
      d3
        .axisLeft(y)
        .ticks(ticks)
        .tickFormat((d) => formatNumber(+d)),
    );
  styleAxis(g);
  return g;
}

/** Appends a text label (axis title, chart title) with the house font settings. */
export function addLabel(
  parent: d3.Selection<SVGGElement, unknown, null, undefined> | d3.Selection<SVGSVGElement, unknown, null, undefined>,
  text: string,
  x: number,
  y: number,
  opts: { anchor?: 'start' | 'middle' | 'end'; rotate?: boolean; className?: string; weight?: string } = {},
): void {
  const t = (parent as d3.Selection<SVGGElement, unknown, null, undefined>)
    .append('text')
    .attr('class', opts.className ?? 'label')
    .attr('x', x)
    .attr('y', y)
    .attr('text-anchor', opts.anchor ?? 'middle')
    .attr('font-size', FONT_SIZE)
    .attr('fill', TEXT_COLOUR)
    .text(text);
  if (opts.weight) t.attr('font-weight', opts.weight);
  if (opts.rotate) t.attr('transform', `rotate(-90,${x},${y})`);
}

/** Legend entry: a colour swatch (line or band) and a label. */
export interface LegendItem {
  label: string;
  colour: string;
  /** 'line' (default), 'dashed' line or 'band' (filled rectangle). */
  kind?: 'line' | 'dashed' | 'band';
  /** Series key: set as data-series on the entry so a chart can make it a toggle. */
  key?: string;
  /** The series is hidden: the entry is drawn faded and struck through. */
  off?: boolean;
}

/**
 * Draws a horizontal, wrapping legend starting at (x, y) within `maxWidth` px.
 * Returns the height used (px).
 */
export function drawLegend(
  parent: d3.Selection<SVGGElement, unknown, null, undefined>,
  items: LegendItem[],
  x: number,
  y: number,
  maxWidth: number,
): number {
  const g = parent.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`);
  const rowHeight = FONT_SIZE + 6;
  let cx = 0;
  let cy = 0;
  for (const item of items) {
    // Estimated text width: ~0.6 em per character is close enough for layout.
    const w = 22 + item.label.length * FONT_SIZE * 0.6 + 12;
    if (cx > 0 && cx + w > maxWidth) {
      cx = 0;
      cy += rowHeight;
    }
    const e = g.append('g').attr('class', 'legend-item').attr('transform', `translate(${cx},${cy})`);
    if (item.key) e.attr('data-series', item.key);
    if (item.off) e.attr('opacity', 0.4).classed('off', true);
    if (item.kind === 'band') {
      e.append('rect')
        .attr('x', 0)
        .attr('y', -FONT_SIZE / 2 - 1)
        .attr('width', 18)
        .attr('height', 10)
        .attr('fill', item.colour)
        .attr('fill-opacity', 0.3)
        .attr('stroke', item.colour);
    } else {
      e.append('line')
        .attr('x1', 0)
        .attr('x2', 18)
        .attr('y1', -FONT_SIZE / 3)
        .attr('y2', -FONT_SIZE / 3)
        .attr('stroke', item.colour)
        .attr('stroke-width', 2.5)
        .attr('stroke-dasharray', item.kind === 'dashed' ? '5,3' : null);
    }
    e.append('text')
      .attr('x', 22)
      .attr('y', 0)
      .attr('font-size', FONT_SIZE)
      .attr('fill', TEXT_COLOUR)
      .attr('text-decoration', item.off ? 'line-through' : null)
      .text(item.label);
    cx += w;
  }
  return cy + rowHeight;
}

/** A `line.<cls>` from (x1, y1) to (x2, y2) in px with the given stroke: zero and null lines, guides at a selected k, epoch or step. Returned for further attributes. */
export function addRule(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  cls: string,
  [x1, y1, x2, y2]: [number, number, number, number],
  stroke: string,
): d3.Selection<SVGLineElement, unknown, null, undefined> {
  return g.append('line').attr('class', cls).attr('x1', x1).attr('x2', x2).attr('y1', y1).attr('y2', y2).attr('stroke', stroke);
}

/** Path data of the line through (px(i), py(v[i])) for i in idx, broken where v[i] is not finite ('' for none). */
export function linePath(idx: number[], px: (i: number) => number, py: (value: number) => number, v: ArrayLike<number>): string {
  return (
    d3
      .line<number>()
      .defined((i) => Number.isFinite(v[i]))
      .x(px)
      .y((i) => py(v[i]))(idx) ?? ''
  );
}

/** Path data of the band between lo[i] and hi[i] over i in idx (x at px(i)), broken where either is not finite. */
export function bandPath(
  idx: number[],
  px: (i: number) => number,
  py: (value: number) => number,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
): string {
  return (
    d3
      .area<number>()
      .defined((i) => Number.isFinite(lo[i]) && Number.isFinite(hi[i]))
      .x(px)
      .y0((i) => py(lo[i]))
      .y1((i) => py(hi[i]))(idx) ?? ''
  );
}

/** [min, max] of the finite entries of several arrays, padded when degenerate; [0, 1] if empty. */
export function finiteExtent(...arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of arrays) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (lo > hi) return [0, 1];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/**
 * Enlarges an SVG (height and viewBox) so that content down to `neededHeight` px is visible;
 * used after a legend wrapped onto more rows than the margin allowed. Never shrinks.
 */
export function growToFit(svg: d3.Selection<SVGSVGElement, unknown, null, undefined>, neededHeight: number): void {
  const width = Number(svg.attr('width'));
  const height = Number(svg.attr('height'));
  if (neededHeight > height) {
    const h = Math.ceil(neededHeight);
    svg.attr('height', h).attr('viewBox', `0 0 ${width} ${h}`);
  }
}

/**
 * The frame of the charts over an index (renderers/spectrum.ts, the chaos view's spectrum): x over indices 1..n (integer ticks), y over the finite values
 * of yArrays and 0, both axes labelled, and a zero line (`line.zero-line`).
 */
export function indexChart(
  svg: SVGSVGElement,
  size: ChartSize,
  margin: Margin,
  n: number,
  yArrays: number[][],
  axes: { xTicks: number; yTicks: number; xLabel: string; yLabel: string },
) {
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const x = d3
    .scaleLinear()
    .domain([1, Math.max(2, n)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(...yArrays, [0]))
    .nice()
    .range([innerHeight, 0]);
  styleAxis(
    plot
      .append('g')
      .attr('class', 'x-axis')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(d3.axisBottom(x).ticks(axes.xTicks).tickFormat(d3.format('d'))),
  );
  appendValueAxis(plot, y, axes.yTicks);
  addLabel(plot, axes.xLabel, innerWidth / 2, innerHeight + 32);
  addLabel(plot, axes.yLabel, -46, innerHeight / 2, { rotate: true });
  addRule(plot, 'zero-line', [0, y(0), innerWidth, y(0)], '#999');
  return { root, plot, innerWidth, innerHeight, x, y };
}
