/**
 * FTLE spectrum (lambda_i against i, mean over probes with the per-probe range; earlier epochs
 * faded) and one probe's ln r_1(t) and FTLE_1(t) against t with the hovered step highlighted.
 * Units: ln per step, or bits per step (= ln / ln 2) with the log2 option.
 */
import * as d3 from 'd3';
import {
  addLabel,
  addRule,
  bandPath,
  drawLegend,
  formatNumber,
  growToFit,
  indexChart,
  linePath,
  OKABE_ITO,
  type ChartSize,
} from './common';
import type { ProbeSeries, SpectrumChartData } from '../../core/transforms/spectrum';

/** Conversion factor from ln per step to the displayed unit. */
export function unitFactor(log2: boolean): number {
  return log2 ? 1 / Math.LN2 : 1;
}

/** Converts an array of ln-per-step values to the displayed unit (a change of scale, nothing computed). */
function inUnit(log2 = false): (values: number[]) => number[] {
  const f = unitFactor(log2);
  return (values) => values.map((v) => v * f);
}

/** The display unit's axis label. */
export function unitLabel(log2: boolean): string {
  return log2 ? 'bits per step' : 'ln per step';
}

/** The scales of a chart over indices (returned for tests and overlays). */
export interface IndexScales {
  x: d3.ScaleLinear<number, number>;
  y: d3.ScaleLinear<number, number>;
}

/** Options of renderSpectrumPlot. */
export interface SpectrumPlotOptions extends Partial<ChartSize> {
  log2?: boolean;
}

/**
 * Draws lambda_i against i = 1..k for the selected epoch of `data` (core/transforms/spectrum.ts
 * spectrumChartData; mean line `path.spectrum-mean`, dots, probe
 * range band `path.spectrum-band`) and the means of data.earlier as faded lines
 * (`path.spectrum-earlier`, opacity rising towards the selected epoch), with a zero line.
 */
export function renderSpectrumPlot(svg: SVGSVGElement, data: SpectrumChartData, options: SpectrumPlotOptions = {}): IndexScales {
  const margin = { top: 24, right: 16, bottom: 64, left: 60 };
  const scale = inUnit(options.log2);
  const centre = scale(data.stats.mean);
  const lo = scale(data.stats.min);
  const hi = scale(data.stats.max);
  const prev = data.earlier.map((e) => ({ epoch: e.epoch, mean: scale(e.mean) }));
  const k = centre.length;
  const { root, plot, innerWidth, innerHeight, x, y } = indexChart(
    svg,
    { width: options.width ?? 480, height: options.height ?? 300 },
    margin,
    k,
    [centre, lo, hi, ...prev.map((p) => p.mean)],
    {
      xTicks: Math.min(k, 10),
      yTicks: 6,
      xLabel: 'exponent index i',
      yLabel: `λ_i (${unitLabel(options.log2 ?? false)})`,
    },
  );

  const idx = d3.range(k);
  const line = (v: number[]) => linePath(idx, (i) => x(i + 1), y, v);
  prev.forEach((p, j) => {
    plot
      .append('path')
      .attr('class', 'spectrum-earlier')
      .attr('data-epoch', p.epoch)
      .attr('d', line(p.mean))
      .attr('fill', 'none')
      .attr('stroke', '#777')
      .attr('stroke-width', 1.5)
      .attr('stroke-opacity', 0.2 + (0.4 * (j + 1)) / prev.length);
  });
  const colour = OKABE_ITO[3];
  plot
    .append('path')
    .attr('class', 'spectrum-band')
    .attr('fill', colour)
    .attr('fill-opacity', 0.18)
    .attr(
      'd',
      bandPath(idx, (i) => x(i + 1), y, lo, hi),
    );
  plot
    .append('path')
    .attr('class', 'spectrum-mean')
    .attr('d', line(centre))
    .attr('fill', 'none')
    .attr('stroke', colour)
    .attr('stroke-width', 2.5);
  if (k <= 64) {
    plot
      .append('g')
      .attr('class', 'spectrum-dots')
      .selectAll('circle')
      .data(idx.filter((i) => Number.isFinite(centre[i])))
      .join('circle')
      .attr('cx', (i) => x(i + 1))
      .attr('cy', (i) => y(centre[i]))
      .attr('r', 3)
      .attr('fill', colour)
      .append('title')
      .text((i) => `λ${i + 1} = ${formatNumber(centre[i])} (probes ${formatNumber(lo[i])} … ${formatNumber(hi[i])})`);
  }
  const used = drawLegend(
    plot,
    [
      { label: `epoch ${data.epoch}: mean over probes`, colour },
      { label: 'probe range (min–max)', colour, kind: 'band' },
      ...(prev.length ? [{ label: 'earlier epochs', colour: '#999' }] : []),
    ],
    0,
    innerHeight + 52,
    innerWidth,
  );
  growToFit(root, margin.top + innerHeight + 52 + used);
  return { x, y };
}

/** Options of renderProbeSeries. */
export interface ProbeSeriesOptions extends Partial<ChartSize> {
  log2?: boolean;
  /** 0-based hovered step to highlight, or null. */
  hoveredStep?: number | null;
}

/**
 * Draws ln r_1(t) (`path.series-lnr1`) and the running FTLE_1(t) (`path.series-ftle1`) against
 * t = 1..T for one probe (core/transforms/spectrum.ts probeSeries); the hovered step gets
 * `line.hover-step` and dots.
 */
export function renderProbeSeries(svg: SVGSVGElement, series: ProbeSeries, options: ProbeSeriesOptions = {}): IndexScales {
  const margin = { top: 20, right: 16, bottom: 64, left: 60 };
  const [r1, ftle] = [series.lnR1, series.ftle1].map(inUnit(options.log2));
  const T = r1.length;
  const size = { width: options.width ?? 480, height: options.height ?? 240 };
  const { root, plot, innerWidth, innerHeight, x, y } = indexChart(svg, size, margin, T, [r1, ftle], {
    xTicks: 8,
    yTicks: 5,
    xLabel: 'step t',
    yLabel: unitLabel(options.log2 ?? false),
  });
  const idx = d3.range(T);
  const line = (v: number[]) => linePath(idx, (i) => x(i + 1), y, v);
  const h = options.hoveredStep;
  const hovered = h !== null && h !== undefined && h >= 0 && h < T;
  const lines = [
    { key: 'lnr1', values: r1, colour: OKABE_ITO[1], width: 1.5 },
    { key: 'ftle1', values: ftle, colour: OKABE_ITO[3], width: 2.5 },
  ];
  for (const l of lines) {
    plot
      .append('path')
      .attr('class', `series series-${l.key}`)
      .attr('d', line(l.values))
      .attr('fill', 'none')
      .attr('stroke', l.colour)
      .attr('stroke-width', l.width);
  }
  if (hovered) {
    addRule(plot, 'hover-step', [x(h + 1), 0, x(h + 1), innerHeight], '#222').attr('stroke-width', 1.5);
    for (const l of lines)
      plot
        .append('circle')
        .attr('class', 'hover-dot')
        .attr('cx', x(h + 1))
        .attr('cy', y(l.values[h]))
        .attr('r', 4)
        .attr('fill', l.colour);
    addLabel(plot, `t=${h + 1}`, Math.min(innerWidth - 20, x(h + 1) + 4), 12, { anchor: 'start' });
  }
  const used = drawLegend(
    plot,
    [
      { label: 'ln r₁(t) (per step)', colour: OKABE_ITO[1] },
      { label: 'FTLE₁(t) (running mean)', colour: OKABE_ITO[3] },
    ],
    0,
    innerHeight + 52,
    innerWidth,
  );
  growToFit(root, margin.top + innerHeight + 52 + used);
  return { x, y };
}
