/**
 * Renderers of the edge-of-chaos view (numbers from src/core/dynamics/chaosView.ts chaosFigure,
 * already in the view's unit): the Lyapunov spectrum at the slider's gain, and lambda_1 against g
 * (each seed's network as dots, the seed mean -+ 2 std as a band, the finite-size band around the
 * mean-field curve, the curve itself, the gain shown as a vertical line). Nothing is computed here but scales.
 */
import * as d3 from 'd3';
import type { ChaosFigure } from '../../core/dynamics/chaosView';
import {
  addLabel,
  addRule,
  appendValueAxis,
  bandPath,
  finiteExtent,
  indexChart,
  linePath,
  OKABE_ITO,
  prepareSvg,
  styleAxis,
} from './common';

const MARGIN = { top: 20, right: 16, bottom: 48, left: 64 };

/** lambda_i against i = 1..k (line `path.chaos-spectrum`, dots). */
export function renderChaosSpectrum(svg: SVGSVGElement, fig: ChaosFigure, size = { width: 460, height: 280 }): void {
  const k = fig.spectrum.length;
  const { plot, x, y } = indexChart(svg, size, MARGIN, k, [fig.spectrum], {
    xTicks: Math.min(k, 8),
    yTicks: 6,
    xLabel: 'exponent index i',
    yLabel: `λ_i (${fig.unit})`,
  });
  const idx = d3.range(k);
  plot
    .append('path')
    .attr('class', 'chaos-spectrum')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[1])
    .attr('stroke-width', 2)
    .attr(
      'd',
      linePath(idx, (i) => x(i + 1), y, fig.spectrum),
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
  addRule(plot, 'zero-line', [0, y(0), innerWidth, y(0)], '#999');
  // Index i of a point list at x of its gain.
  const atGain = (points: readonly { g: number }[]) => (i: number) => x(points[i].g);
  const { seedMean, meanfield, finiteBand } = fig;
  // Where networks of this N should fall: mean field plus the known finite-N correction (method.md §8).
  if (finiteBand.length > 1)
    plot
      .append('path')
      .attr('class', 'chaos-finite-band')
      .attr('fill', OKABE_ITO[0])
      .attr('fill-opacity', 0.2)
      .attr(
        'd',
        bandPath(
          d3.range(finiteBand.length),
          atGain(finiteBand),
          y,
          finiteBand.map((p) => p.lo),
          finiteBand.map((p) => p.hi),
        ),
      );
  const band = bandPath(
    d3.range(seedMean.length),
    atGain(seedMean),
    y,
    seedMean.map((p) => p.lo),
    seedMean.map((p) => p.hi),
  );
  if (seedMean.length > 1)
    plot.append('path').attr('class', 'chaos-seed-band').attr('fill', OKABE_ITO[2]).attr('fill-opacity', 0.18).attr('d', band);
  plot
    .selectAll('circle.chaos-seed-point')
    .data(fig.seedPoints)
    .join('circle')
    .attr('class', 'chaos-seed-point')
    .attr('cx', (p) => x(p.g))
    .attr('cy', (p) => y(p.value))
    .attr('r', 2.5)
    .attr('fill', OKABE_ITO[2]);
  const meanfieldLine = linePath(
    d3.range(meanfield.length),
    atGain(meanfield),
    y,
    meanfield.map((p) => p.value),
  );
  plot
    .append('path')
    .attr('class', 'chaos-meanfield')
    .attr('fill', 'none')
    .attr('stroke', OKABE_ITO[0])
    .attr('stroke-width', 2)
    .attr('d', meanfieldLine);
  addRule(plot, 'chaos-gain-line', [x(fig.g), 0, x(fig.g), innerHeight], '#333').attr('stroke-dasharray', '4 3');
  plot
    .append('circle')
    .attr('class', 'chaos-current')
    .attr('cx', x(fig.g))
    .attr('cy', y(fig.lambda1))
    .attr('r', 5)
    .attr('fill', OKABE_ITO[1]);
  addLabel(plot, 'mean field (N → ∞)', innerWidth - 4, 12, { anchor: 'end' });
}
