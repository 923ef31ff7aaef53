/**
 * Renderers of the edge-of-chaos view (numbers from src/core/dynamics/chaosView.ts chaosFigure,
 * already in the view's unit): the Lyapunov spectrum at the slider's gain, and lambda_1 against g
 * (each seed's network as dots, the seed mean -+ 2 std as a band, the finite-size band around the
 * mean-field curve, the curve itself, the gain shown as a vertical line). Nothing is computed here but scales.
 */
import * as d3 from 'd3';
import type { ChaosFigure } from '../../core/dynamics/chaosView';
import { OKABE_ITO, addLabel, appendValueAxis, finiteExtent, prepareSvg, styleAxis } from './common';

const MARGIN = { top: 20, right: 16, bottom: 48, left: 64 };

function zeroLine(plot: d3.Selection<SVGGElement, unknown, null, undefined>, w: number, y: number): void {
  plot.append('line').attr('class', 'zero-line').attr('x1', 0).attr('x2', w).attr('y1', y).attr('y2', y).attr('stroke', '#999');
}

/** lambda_i against i = 1..k (line `path.chaos-spectrum`, dots). */
export function renderChaosSpectrum(svg: SVGSVGElement, fig: ChaosFigure, size = { width: 460, height: 280 }): void {
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, size, MARGIN);
  const k = fig.spectrum.length;
  const x = d3
    .scaleLinear()
    .domain([1, Math.max(2, k)])
    .range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(finiteExtent(fig.spectrum, [0]))
    .nice()
    .range([innerHeight, 0]);
  styleAxis(
    plot
      .append('g')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(d3.axisBottom(x).ticks(Math.min(k, 8)).tickFormat(d3.format('d'))),
  );
  appendValueAxis(plot, y, 6);
  addLabel(plot, 'exponent index i', innerWidth / 2, innerHeight + 36);
  addLabel(plot, `λ_i (${fig.unit})`, -48, innerHeight / 2, { rotate: true });
  zeroLine(plot, innerWidth, y(0));
  const idx = d3.range(k);
  plot
    .append('path')
    .attr('class', 'chaos-spectrum')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[1])
    .attr('stroke-width', 2)
    .attr(
      'd',
      d3
        .line<number>()
        .x((i) => x(i + 1))
        .y((i) => y(fig.spectrum[i]))(idx) ?? '',
    );
  if (k <= 64)
    plot
      .selectAll('circle.chaos-spectrum-dot')
      .data(idx)
      .join('circle')
      .attr('class', 'chaos-spectrum-dot')
      .attr('cx', (i) => x(i + 1))
      .attr('cy', (i) => y(fig.spectrum[i]))
      .attr('r', 2.5)
      .attr('fill', OKABE_ITO[1]);
}

/** lambda_1 against g: band, seed dots, mean-field line, current gain. */
export function renderChaosCurve(svg: SVGSVGElement, fig: ChaosFigure, gRange: [number, number], size = { width: 460, height: 280 }): void {
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, size, MARGIN);
  const x = d3.scaleLinear().domain(gRange).range([0, innerWidth]);
  const y = d3
    .scaleLinear()
    .domain(
      finiteExtent(
        fig.meanfield.map((p) => p.value),
        fig.seedMean.flatMap((p) => [p.lo, p.hi]),
        fig.finiteBand.flatMap((p) => [p.lo, p.hi]),
        fig.seedPoints.map((p) => p.value),
        [fig.lambda1, 0],
      ),
    )
    .nice()
    .range([innerHeight, 0]);
  styleAxis(plot.append('g').attr('transform', `translate(0,${innerHeight})`).call(d3.axisBottom(x).ticks(6)));
  appendValueAxis(plot, y, 6);
  addLabel(plot, 'gain g', innerWidth / 2, innerHeight + 36);
  addLabel(plot, `λ1 (${fig.unit})`, -48, innerHeight / 2, { rotate: true });
  zeroLine(plot, innerWidth, y(0));
  // Where networks of this N should fall: mean field plus the known finite-N correction (method.md §8).
  if (fig.finiteBand.length > 1)
    plot
      .append('path')
      .attr('class', 'chaos-finite-band')
      .attr('fill', OKABE_ITO[0])
      .attr('fill-opacity', 0.2)
      .attr(
        'd',
        d3
          .area<ChaosFigure['finiteBand'][number]>()
          .x((p) => x(p.g))
          .y0((p) => y(p.lo))
          .y1((p) => y(p.hi))(fig.finiteBand) ?? '',
      );
  if (fig.seedMean.length > 1)
    plot
      .append('path')
      .attr('class', 'chaos-seed-band')
      .attr('fill', OKABE_ITO[2])
      .attr('fill-opacity', 0.18)
      .attr(
        'd',
        d3
          .area<ChaosFigure['seedMean'][number]>()
          .x((p) => x(p.g))
          .y0((p) => y(p.lo))
          .y1((p) => y(p.hi))(fig.seedMean) ?? '',
      );
  plot
    .selectAll('circle.chaos-seed-point')
    .data(fig.seedPoints)
    .join('circle')
    .attr('class', 'chaos-seed-point')
    .attr('cx', (p) => x(p.g))
    .attr('cy', (p) => y(p.value))
    .attr('r', 2.5)
    .attr('fill', OKABE_ITO[2]);
  plot
    .append('path')
    .attr('class', 'chaos-meanfield')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[0])
    .attr('stroke-width', 2)
    .attr(
      'd',
      d3
        .line<ChaosFigure['meanfield'][number]>()
        .x((p) => x(p.g))
        .y((p) => y(p.value))(fig.meanfield) ?? '',
    );
  plot
    .append('line')
    .attr('class', 'chaos-gain-line')
    .attr('x1', x(fig.g))
    .attr('x2', x(fig.g))
    .attr('y1', 0)
    .attr('y2', innerHeight)
    .attr('stroke', '#333')
    .attr('stroke-dasharray', '4 3');
  plot
    .append('circle')
    .attr('class', 'chaos-current')
    .attr('cx', x(fig.g))
    .attr('cy', y(fig.lambda1))
    .attr('r', 5)
    .attr('fill', OKABE_ITO[1]);
  addLabel(plot, 'mean field (N → ∞)', innerWidth - 4, 12, { anchor: 'end' });
}
