/**
 * Claims across seeds: per claim statistic, one chart over epochs with every seed as a dot and
 * the mean with its 95% t interval (core/seedSummary.ts meanInterval) as a line and error bars.
 */
import * as d3 from 'd3';
import type { SeedStatisticSeries } from '../../core/transforms/seeds';
import { addLabel, addRule, finiteExtent, NULL_COLOUR, OKABE_ITO, prepareSvg, styleAxis, type ChartSize } from './common';

/** Options of renderSeedStatistic. */
export interface SeedStatisticOptions extends Partial<ChartSize> {
  /** The seeds in colour order (seed_0 first, drawn in black). */
  seeds: number[];
}

/**
 * Draws one statistic: dots `circle.seed-dot` (data-seed, data-epoch) slightly spread per seed
 * around each epoch, the mean line with `line.seed-ci` error bars, and a dotted zero line (no
 * effect). Returns the scales.
 */
export function renderSeedStatistic(svg: SVGSVGElement, series: SeedStatisticSeries, opts: SeedStatisticOptions) {
  const width = opts.width ?? 420;
  const height = opts.height ?? 200;
  const margin = { top: 12, right: 16, bottom: 40, left: 64 };
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, { width, height }, margin);
  const epochs = [...new Set(series.points.map((p) => p.epoch))].sort((a, b) => a - b);
  const x = d3
    .scaleLinear()
    .domain(epochs.length > 1 ? [epochs[0], epochs[epochs.length - 1]] : [(epochs[0] ?? 0) - 1, (epochs[0] ?? 0) + 1])
    .range([12, innerWidth - 12]);
  const [lo, hi] = finiteExtent(
    series.points.map((p) => p.value),
    series.means.map((m) => m.lo),
    series.means.map((m) => m.hi),
    [0],
  );
  const pad = (hi - lo || 1) * 0.08;
  const y = d3
    .scaleLinear()
    .domain([lo - pad, hi + pad])
    .nice()
    .range([innerHeight, 0]);
  styleAxis(
    plot
      .append('g')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(
        d3
          .axisBottom(x)
          .tickValues(epochs.length ? epochs : x.ticks(3))
          .tickFormat(d3.format('d')),
      ),
  );
  styleAxis(plot.append('g').call(d3.axisLeft(y).ticks(5)));
  addLabel(plot, 'epoch', innerWidth / 2, innerHeight + 32);
  addLabel(plot, series.label, -48, innerHeight / 2, { rotate: true });
  addRule(plot, 'seed-zero', [0, y(0), innerWidth, y(0)], NULL_COLOUR).attr('stroke-dasharray', '2 3');
  const colour = (seed: number) => {
    const i = opts.seeds.indexOf(seed);
    return i <= 0 ? '#000000' : OKABE_ITO[i % OKABE_ITO.length];
  };
  const spread = Math.min(4, innerWidth / Math.max(1, epochs.length) / (3 * Math.max(1, opts.seeds.length)));
  const offset = (seed: number) => (opts.seeds.indexOf(seed) - (opts.seeds.length - 1) / 2) * spread;
  const means = series.means.filter((m) => Number.isFinite(m.mean));
  plot
    .append('path')
    .attr('class', 'seed-mean')
    .attr('fill', 'none')
    .attr('stroke', '#333')
    .attr('stroke-width', 2)
    .attr(
      'd',
      d3.line<(typeof means)[number]>(
        (m) => x(m.epoch),
        (m) => y(m.mean),
      )(means) ?? '',
    );
  for (const m of means) {
    if (Number.isFinite(m.lo) && Number.isFinite(m.hi)) {
      addRule(plot, 'seed-ci', [x(m.epoch), y(m.lo), x(m.epoch), y(m.hi)], '#333')
        .attr('stroke-width', 6)
        .attr('stroke-opacity', 0.25);
    }
  }
  plot
    .selectAll('circle.seed-dot')
    .data(series.points)
    .join('circle')
    .attr('class', 'seed-dot')
    .attr('data-seed', (p) => p.seed)
    .attr('data-epoch', (p) => p.epoch)
    .attr('cx', (p) => x(p.epoch) + offset(p.seed))
    .attr('cy', (p) => y(p.value))
    .attr('r', 3.5)
    .attr('fill', (p) => colour(p.seed))
    .attr('stroke', '#fff')
    .attr('stroke-width', 0.8)
    .append('title')
    .text((p) => `seed ${p.seed}, epoch ${p.epoch}: ${d3.format('.3~g')(p.value)}`);
  return { x, y };
}
