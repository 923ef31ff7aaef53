/**
 * Renderers of the CLV panel (numbers from src/core/dynamics/clvAnalysis.ts clvPanelData): the
 * paper statistic per step with Q and with CLVs beside the null, and the angle between the first
 * two CLVs over time. Scales only.
 */
import * as d3 from 'd3';
import type { ClvPanelData } from '../../core/dynamics/clvAnalysis';
import { NULL_COLOUR, OKABE_ITO, addLabel, appendValueAxis, finiteExtent, linePath, prepareSvg, styleAxis } from './common';

const MARGIN = { top: 20, right: 16, bottom: 44, left: 56 };

/** The axes both CLV charts share: step t below (`ticks[0]` ticks), the value axis (`ticks[1]`) with `yLabel`. */
function stepAxes(
  plot: d3.Selection<SVGGElement, unknown, null, undefined>,
  x: d3.ScaleLinear<number, number>,
  y: d3.ScaleLinear<number, number>,
  { innerWidth, innerHeight }: { innerWidth: number; innerHeight: number },
  ticks: [number, number],
  yLabel: string,
): void {
  styleAxis(plot.append('g').attr('transform', `translate(0,${innerHeight})`).call(d3.axisBottom(x).ticks(ticks[0])));
  appendValueAxis(plot, y, ticks[1]);
  addLabel(plot, 'step t', innerWidth / 2, innerHeight + 34);
  addLabel(plot, yLabel, -42, innerHeight / 2, { rotate: true });
}

/** std per step: `path.clv-q`, `path.clv-clv`, the null as `line.clv-null`. */
export function renderClvStatistic(svg: SVGSVGElement, d: ClvPanelData, width = 360, height = 220): void {
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, { width, height }, MARGIN);
  const x = d3
    .scaleLinear()
    .domain([d3.min(d.steps) ?? 1, Math.max((d3.min(d.steps) ?? 1) + 1, d3.max(d.steps) ?? 2)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(d.qStd, d.clvStd, [d.nullStd, 0]))
    .nice()
    .range([innerHeight, 0]);
  stepAxes(plot, x, y, { innerWidth, innerHeight }, [5, 5], 'std of cos');
  plot
    .append('line')
    .attr('class', 'clv-null')
    .attr('x1', 0)
    .attr('x2', innerWidth)
    .attr('y1', y(d.nullStd))
    .attr('y2', y(d.nullStd))
    .attr('stroke', NULL_COLOUR)
    .attr('stroke-dasharray', '4 3');
  const line = (v: number[]) => linePath(d3.range(v.length), (i) => x(d.steps[i]), y, v);
  plot
    .append('path')
    .attr('class', 'clv-q')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[4])
    .attr('stroke-width', 2)
    .attr('d', line(d.qStd));
  plot
    .append('path')
    .attr('class', 'clv-clv')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[3])
    .attr('stroke-width', 2)
    .attr('stroke-dasharray', '6 2')
    .attr('d', line(d.clvStd));
  addLabel(plot, 'Q (solid) · CLV (dashed) · null (dotted)', innerWidth, 10, { anchor: 'end' });
}

/** Angle between v_1 and v_2 against t = 0..T (`path.clv-first-two`), degrees. */
export function renderClvAngle(svg: SVGSVGElement, d: ClvPanelData, width = 360, height = 220): void {
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, { width, height }, MARGIN);
  const T = d.firstTwoDeg.length - 1;
  const x = d3
    .scaleLinear()
    .domain([0, Math.max(1, T)])
    .range([0, innerWidth]);
  const y = d3.scaleLinear().domain([0, 90]).range([innerHeight, 0]);
  stepAxes(plot, x, y, { innerWidth, innerHeight }, [6, 4], 'angle(v1, v2) (°)');
  plot
    .append('path')
    .attr('class', 'clv-first-two')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[5])
    .attr('stroke-width', 2)
    .attr(
      'd',
      d3
        .line<number>()
        .defined((t) => Number.isFinite(d.firstTwoDeg[t]))
        .x((t) => x(t))
        .y((t) => y(d.firstTwoDeg[t]))(d3.range(T + 1)) ?? '',
    );
}
