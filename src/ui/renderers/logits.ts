/**
 * The paper's Fig 4: softmax over the 10 classes of the original, the R-top-flipped and a
 * random-flipped input of one probe, as grouped bars.
 */
import * as d3 from 'd3';
import { addLabel, drawLegend, growToFit, formatNumber, OKABE_ITO, prepareSvg, styleAxis, type ChartSize } from './common';

/** Softmax vectors [C] of one probe. */
export interface LogitsData {
  original: number[];
  rFlipped: number[];
  randomFlipped: number[];
  /** Pixels flipped (FlipSummary.kFig). */
  k: number;
  /** True class, outlined on the axis when given. */
  label?: number;
}

/** The three groups, in bar order within a class. */
export const LOGIT_GROUPS = [
  { key: 'original', label: 'original', colour: OKABE_ITO[4] },
  { key: 'rFlipped', label: 'R-top flipped', colour: OKABE_ITO[3] },
  { key: 'randomFlipped', label: 'random flipped', colour: '#8c8c8c' },
] as const;

/**
 * Draws C x 3 `rect.bar` (data-group = original | rFlipped | randomFlipped, data-class = c)
 * with height = probability on a fixed 0..1 y axis. Returns the scales.
 */
export function renderLogitsPlot(
  svg: SVGSVGElement,
  data: LogitsData,
  options: Partial<ChartSize> = {},
): { x: d3.ScaleBand<string>; y: d3.ScaleLinear<number, number> } {
  const size = { width: options.width ?? 480, height: options.height ?? 280 };
  const margin = { top: 24, right: 12, bottom: 64, left: 52 };
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const C = data.original.length;
  const classes = d3.range(C).map(String);
  const x = d3.scaleBand().domain(classes).range([0, innerWidth]).paddingInner(0.2).paddingOuter(0.1);
  const inner = d3
    .scaleBand<string>()
    .domain(LOGIT_GROUPS.map((g) => g.key))
    .range([0, x.bandwidth()])
    .padding(0.05);
  const y = d3.scaleLinear().domain([0, 1]).range([innerHeight, 0]);
  styleAxis(plot.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${innerHeight})`).call(d3.axisBottom(x)));
  styleAxis(plot.append('g').attr('class', 'y-axis').call(d3.axisLeft(y).ticks(5)));
  addLabel(plot, data.label !== undefined ? `class (true: ${data.label})` : 'class', innerWidth / 2, innerHeight + 32);
  addLabel(plot, 'softmax probability', -40, innerHeight / 2, { rotate: true });
  const bars = LOGIT_GROUPS.flatMap((g) =>
    classes.map((c, i) => ({ group: g, c, p: (data as unknown as Record<string, number[]>)[g.key][i] })),
  );
  plot
    .append('g')
    .attr('class', 'bars')
    .selectAll('rect')
    .data(bars)
    .join('rect')
    .attr('class', 'bar')
    .attr('data-group', (d) => d.group.key)
    .attr('data-class', (d) => d.c)
    .attr('x', (d) => (x(d.c) ?? 0) + (inner(d.group.key) ?? 0))
    .attr('width', inner.bandwidth())
    .attr('y', (d) => y(Math.max(0, Math.min(1, d.p))))
    .attr('height', (d) => innerHeight - y(Math.max(0, Math.min(1, d.p))))
    .attr('fill', (d) => d.group.colour)
    .append('title')
    .text((d) => `class ${d.c}, ${d.group.label}: p = ${formatNumber(d.p)}`);
  if (data.label !== undefined && data.label >= 0 && data.label < C) {
    plot
      .append('rect')
      .attr('class', 'true-class')
      .attr('x', x(String(data.label)) ?? 0)
      .attr('y', 0)
      .attr('width', x.bandwidth())
      .attr('height', innerHeight)
      .attr('fill', 'none')
      .attr('stroke', '#222')
      .attr('stroke-dasharray', '3,3');
  }
  const used = drawLegend(
    plot,
    LOGIT_GROUPS.map((g) => ({
      label: g.key === 'original' ? g.label : `${g.label} (k=${data.k})`,
      colour: g.colour,
      kind: 'band' as const,
    })),
    0,
    innerHeight + 52,
    innerWidth,
  );
  growToFit(root, margin.top + innerHeight + 52 + used);
  return { x, y };
}
