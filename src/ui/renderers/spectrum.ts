/**
 * FTLE spectrum (lambda_i against i, mean over probes with the per-probe range; earlier epochs
 * faded) and one probe's ln r_1(t) and FTLE_1(t) against t with the hovered step highlighted.
 * Units: ln per step, or bits per step (= ln / ln 2) with the log2 option.
 */
import * as d3 from 'd3';
import {
  addLabel,
  drawLegend,
  growToFit,
  finiteExtent,
  formatNumber,
  OKABE_ITO,
  prepareSvg,
  styleAxis,
  type ChartSize,
  appendValueAxis,
} from './common';
import type { ProbeSeries, SpectrumChartData } from '../../core/transforms/spectrum';

/** Conversion factor from ln per step to the displayed unit. */
export function unitFactor(log2: boolean): number {
  return log2 ? 1 / Math.LN2 : 1;
}

/** The display unit's axis label. */
export function unitLabel(log2: boolean): string {
  return log2 ? 'bits per step' : 'ln per step';
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
export function renderSpectrumPlot(
  svg: SVGSVGElement,
  data: SpectrumChartData,
  options: SpectrumPlotOptions = {},
): { x: d3.ScaleLinear<number, number>; y: d3.ScaleLinear<number, number> } {
  const size = { width: options.width ?? 480, height: options.height ?? 300 };
  const margin = { top: 24, right: 16, bottom: 64, left: 60 };
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const f = unitFactor(options.log2 ?? false);
  const scale = (a: number[]) => a.map((v) => v * f);
  const centre = scale(data.stats.mean);
  const lo = scale(data.stats.min);
  const hi = scale(data.stats.max);
  const prev = data.earlier.map((e) => ({ epoch: e.epoch, mean: scale(e.mean) }));
  const k = centre.length;
  const x = d3
    .scaleLinear()
    .domain([1, Math.max(2, k)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(centre, lo, hi, [0], ...prev.map((p) => p.mean)))
    .nice()
    .range([innerHeight, 0]);
  styleAxis(
    plot
      .append('g')
      .attr('class', 'x-axis')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(d3.axisBottom(x).ticks(Math.min(k, 10)).tickFormat(d3.format('d'))),
  );
  appendValueAxis(plot, y, 6);
  addLabel(plot, 'exponent index i', innerWidth / 2, innerHeight + 32);
  addLabel(plot, `λ_i (${unitLabel(options.log2 ?? false)})`, -46, innerHeight / 2, { rotate: true });
  plot
    .append('line')
    .attr('class', 'zero-line')
    .attr('x1', 0)
    .attr('x2', innerWidth)
    .attr('y1', y(0))
    .attr('y2', y(0))
    .attr('stroke', '#999');

  const idx = d3.range(k);
  const line = (v: number[]) =>
    d3
      .line<number>()
      .defined((i) => Number.isFinite(v[i]))
      .x((i) => x(i + 1))
      .y((i) => y(v[i]))(idx) ?? '';
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
      d3
        .area<number>()
        .defined((i) => Number.isFinite(lo[i]) && Number.isFinite(hi[i]))
        .x((i) => x(i + 1))
        .y0((i) => y(lo[i]))
        .y1((i) => y(hi[i]))(idx) ?? '',
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
export function renderProbeSeries(
  svg: SVGSVGElement,
  series: ProbeSeries,
  options: ProbeSeriesOptions = {},
): { x: d3.ScaleLinear<number, number>; y: d3.ScaleLinear<number, number> } {
  const size = { width: options.width ?? 480, height: options.height ?? 240 };
  const margin = { top: 20, right: 16, bottom: 64, left: 60 };
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const f = unitFactor(options.log2 ?? false);
  const r1 = series.lnR1.map((v) => v * f);
  const ftle = series.ftle1.map((v) => v * f);
  const T = r1.length;
  const x = d3
    .scaleLinear()
    .domain([1, Math.max(2, T)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(r1, ftle, [0]))
    .nice()
    .range([innerHeight, 0]);
  styleAxis(
    plot
      .append('g')
      .attr('class', 'x-axis')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(d3.axisBottom(x).ticks(8).tickFormat(d3.format('d'))),
  );
  appendValueAxis(plot, y, 5);
  addLabel(plot, 'step t', innerWidth / 2, innerHeight + 32);
  addLabel(plot, unitLabel(options.log2 ?? false), -46, innerHeight / 2, { rotate: true });
  plot
    .append('line')
    .attr('class', 'zero-line')
    .attr('x1', 0)
    .attr('x2', innerWidth)
    .attr('y1', y(0))
    .attr('y2', y(0))
    .attr('stroke', '#999');
  const idx = d3.range(T);
  const line = (v: number[]) =>
    d3
      .line<number>()
      .defined((i) => Number.isFinite(v[i]))
      .x((i) => x(i + 1))
      .y((i) => y(v[i]))(idx) ?? '';
  plot
    .append('path')
    .attr('class', 'series series-lnr1')
    .attr('d', line(r1))
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[1])
    .attr('stroke-width', 1.5);
  plot
    .append('path')
    .attr('class', 'series series-ftle1')
    .attr('d', line(ftle))
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[3])
    .attr('stroke-width', 2.5);
  const h = options.hoveredStep;
  if (h !== null && h !== undefined && h >= 0 && h < T) {
    plot
      .append('line')
      .attr('class', 'hover-step')
      .attr('x1', x(h + 1))
      .attr('x2', x(h + 1))
      .attr('y1', 0)
      .attr('y2', innerHeight)
      .attr('stroke', '#222')
      .attr('stroke-width', 1.5);
    plot
      .append('circle')
      .attr('class', 'hover-dot')
      .attr('cx', x(h + 1))
      .attr('cy', y(r1[h]))
      .attr('r', 4)
      .attr('fill', OKABE_ITO[1]);
    plot
      .append('circle')
      .attr('class', 'hover-dot')
      .attr('cx', x(h + 1))
      .attr('cy', y(ftle[h]))
      .attr('r', 4)
      .attr('fill', OKABE_ITO[3]);
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
