/**
 * Flip-test chart (core/transforms/flip.ts FlipChartData): mean loss change dL after flipping the top-k pixels of each
 * ranking, against k on a log axis, with bootstrap 95% bands, the random baseline as a band over
 * draws, and R-top markers filled where the Holm-corrected paired Wilcoxon p < alpha.
 */
import * as d3 from 'd3';
import type { FlipChartData } from '../../core/transforms/flip';
import type { StepUnit } from '../../core/sensitivity/rankingNames';
import {
  addLabel,
  addRule,
  bandPath,
  linePath,
  DEFAULT_MARGIN,
  growToFit,
  drawLegend,
  finiteExtent,
  formatNumber,
  prepareSvg,
  RANKING_COLOURS,
  rankingLabel,
  styleAxis,
  type ChartSize,
  type LegendItem,
  type Margin,
  appendValueAxis,
} from './common';

/** Options of renderFlipPlot. */
export interface FlipPlotOptions extends Partial<ChartSize> {
  /** Significance level for filled R-top markers (Holm-corrected Wilcoxon), default 0.05. */
  alpha?: number;
  /** k highlighted by a vertical guide (the digit preview's k). */
  selectedK?: number;
  margin?: Margin;
  /**
   * Series not drawn (ranking names, or "random" for the baseline); they stay in the legend,
   * faded. Default: none hidden.
   */
  hidden?: readonly string[];
  /** Makes legend entries toggles (click, Enter or Space): called with the series key. */
  onToggle?: (key: string) => void;
  /** What one step feeds, for the axis label: "pixel" (default) or "row". */
  unit?: StepUnit;
}

/** Scales of the last flip render (exported for tests and overlays). */
export interface FlipPlotScales {
  x: d3.ScaleLogarithmic<number, number>;
  y: d3.ScaleLinear<number, number>;
  margin: Margin;
}

/**
 * Draws the flip chart of `data` (core/transforms/flip.ts flipChartData) into `svg`. Elements: `path.series-<name>` (mean line per ranking),
 * `path.band-<name>` (bootstrap band polygon), `path.band-random` / `path.series-random` (random
 * baseline), `circle.top-marker` (one per k; class `significant` and filled when
 * data.topPHolm < alpha), `line.zero-line` at dL = 0. Returns the scales used.
 */
export function renderFlipPlot(svg: SVGSVGElement, data: FlipChartData, options: FlipPlotOptions = {}): FlipPlotScales {
  const size = { width: options.width ?? 560, height: options.height ?? 340 };
  const margin = { ...DEFAULT_MARGIN, bottom: 78, ...options.margin };
  const hidden = new Set(options.hidden ?? []);
  const unit = options.unit ?? 'pixel';
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const alpha = options.alpha ?? 0.05;
  const ks = data.kList;
  const allCurves = data.curves;
  const curves = allCurves.filter((c) => !hidden.has(c.name));
  const showRandom = !hidden.has('random');
  const rand = data.random;

  const x = d3
    .scaleLog()
    .domain([Math.max(1, d3.min(ks) ?? 1), Math.max(2, d3.max(ks) ?? 2)])
    .range([0, innerWidth]);
  const yArrays: number[][] = showRandom ? [rand.q05, rand.q95, rand.mean, [0]] : [[0]];
  for (const c of curves) {
    yArrays.push(c.mean);
    if (c.band)
      yArrays.push(
        c.band.map((b) => b[0]),
        c.band.map((b) => b[1]),
      );
  }
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(...yArrays))
    .nice()
    .range([innerHeight, 0]);

  const xAxis = plot
    .append('g')
    .attr('class', 'x-axis')
    .attr('transform', `translate(0,${innerHeight})`)
    .call(
      d3
        .axisBottom(x)
        .tickValues(ks)
        .tickFormat((d) => String(d)),
    );
  styleAxis(xAxis);
  appendValueAxis(plot, y, 6);
  addLabel(plot, `k ${unit}s flipped (log scale)`, innerWidth / 2, innerHeight + 34);
  addLabel(plot, 'mean dL (nats)', -42, innerHeight / 2, { rotate: true });

  addRule(plot, 'zero-line', [0, y(0), innerWidth, y(0)], '#999').attr('stroke-width', 1);

  if (options.selectedK !== undefined && options.selectedK > 0) {
    addRule(plot, 'selected-k', [x(options.selectedK), 0, x(options.selectedK), innerHeight], '#444').attr('stroke-dasharray', '2,3');
  }

  const idx = ks.map((_, i) => i);
  const xAt = (i: number) => x(ks[i]);
  const area = (lo: number[], hi: number[]) => bandPath(idx, xAt, y, lo, hi);
  const line = (v: number[]) => linePath(idx, xAt, y, v);

  // Random baseline first so the rankings draw on top of it.
  const rc = RANKING_COLOURS.random;
  if (showRandom) {
    plot
      .append('path')
      .attr('class', 'band band-random')
      .attr('d', area(rand.q05, rand.q95))
      .attr('fill', rc)
      .attr('fill-opacity', 0.2)
      .attr('stroke', 'none');
    plot
      .append('path')
      .attr('class', 'series series-random')
      .attr('d', line(rand.mean))
      .attr('fill', 'none')
      .attr('stroke', rc)
      .attr('stroke-width', 2)
      .attr('stroke-dasharray', '6,4');
  }

  for (const c of curves) {
    const colour = RANKING_COLOURS[c.name] ?? '#000';
    if (c.band) {
      const lo = c.band.map((b) => b[0]);
      const hi = c.band.map((b) => b[1]);
      plot
        .append('path')
        .attr('class', `band band-${c.name}`)
        .attr('d', area(lo, hi))
        .attr('fill', colour)
        .attr('fill-opacity', 0.15)
        .attr('stroke', 'none');
    }
    plot
      .append('path')
      .attr('class', `series series-${c.name}`)
      .attr('d', line(c.mean))
      .attr('fill', 'none')
      .attr('stroke', colour)
      .attr('stroke-width', c.name === 'top' ? 3 : 2);
  }

  const top = curves.find((c) => c.name === 'top');
  const pHolm = data.topPHolm;
  if (top) {
    const colour = RANKING_COLOURS.top;
    plot
      .append('g')
      .attr('class', 'top-markers')
      .selectAll('circle')
      .data(idx.filter((i) => Number.isFinite(top.mean[i])))
      .join('circle')
      .attr('class', (i) => (pHolm[i] < alpha ? 'top-marker significant' : 'top-marker'))
      .attr('cx', (i) => x(ks[i]))
      .attr('cy', (i) => y(top.mean[i]))
      .attr('r', 5)
      .attr('stroke', colour)
      .attr('stroke-width', 2)
      .attr('fill', (i) => (pHolm[i] < alpha ? colour : '#ffffff'))
      .append('title')
      .text((i) => `k=${ks[i]} ${unit}s: mean dL ${formatNumber(top.mean[i])}, Wilcoxon p_holm ${formatNumber(pHolm[i])}`);
  }

  const legend: LegendItem[] = allCurves.map((c) => ({
    label: rankingLabel(c.name, unit),
    colour: RANKING_COLOURS[c.name] ?? '#000',
    key: c.name,
    off: hidden.has(c.name),
  }));
  legend.push({ label: 'random (mean, 5–95% of draws)', colour: rc, kind: 'dashed', key: 'random', off: !showRandom });
  if (top) legend.push({ label: `● filled: R-top > random, Holm p<${alpha}`, colour: RANKING_COLOURS.top, kind: 'band' });
  const used = drawLegend(plot, legend, 0, innerHeight + 54, innerWidth);
  const onToggle = options.onToggle;
  if (onToggle) {
    plot.selectAll<SVGGElement, unknown>('g.legend-item[data-series]').each(function () {
      const key = this.getAttribute('data-series')!;
      const on = !hidden.has(key);
      d3.select(this)
        .attr('class', 'legend-item legend-toggle')
        .attr('role', 'button')
        .attr('tabindex', 0)
        .attr('cursor', 'pointer')
        .attr('aria-pressed', String(on))
        .attr('aria-label', `${on ? 'Hide' : 'Show'} ${rankingLabel(key, unit)}`)
        .on('click', () => onToggle(key))
        .on('keydown', (e: KeyboardEvent) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            onToggle(key);
          }
        });
    });
  }
  growToFit(root, margin.top + innerHeight + 54 + used);
  return { x, y, margin };
}
