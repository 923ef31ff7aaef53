/**
 * Gradient-SVD alignment over training: the paper's cosine-std statistic against its null
 * 1/sqrt(N) and controls, the principal-angle overlaps (left and right singular subspaces, one m)
 * against the null m/N and controls, and the |cos| matrix of one epoch.
 */
import * as d3 from 'd3';
import type { AlignmentSeries } from '../../core/transforms/alignment';
import {
  addLabel,
  addRule,
  linePath,
  drawLegend,
  growToFit,
  finiteExtent,
  formatNumber,
  NULL_COLOUR,
  OKABE_ITO,
  prepareSvg,
  styleAxis,
  TEXT_COLOUR,
  FONT_SIZE,
  type ChartSize,
  type LegendItem,
  appendValueAxis,
} from './common';

/** A line of a small-multiples chart. */
interface SeriesSpec {
  key: string;
  label: string;
  values: number[];
  colour: string;
  dashed?: boolean;
  /** Optional +-spread band around values. */
  spread?: number[];
  /** The claim's own line: drawn last (on top of the controls), thicker, over a white halo. */
  primary?: boolean;
}

/** Options of renderAlignmentPlot. */
export interface AlignmentPlotOptions extends Partial<ChartSize> {
  /** Epoch marked by a vertical guide. */
  selectedEpoch?: number;
}

/** Scales of the two panels of the last alignment render. */
export interface AlignmentPlotScales {
  x: d3.ScaleLinear<number, number>;
  yPaper: d3.ScaleLinear<number, number>;
  yOverlap: d3.ScaleLinear<number, number>;
}

/**
 * Draws two stacked charts over epochs: (top, `g.paper-panel`) the paper statistic with its
 * controls and the null 1/sqrt(N) (`line.null-line`); (bottom, `g.overlap-panel`) the overlaps
 * for one m (left with a +-std band `path.band-left`, right, controls) and the null m/N
 * (`line.null-line`). Lines are `path.series-<key>` with a dot per epoch.
 */
export function renderAlignmentPlot(svg: SVGSVGElement, series: AlignmentSeries, options: AlignmentPlotOptions = {}): AlignmentPlotScales {
  const size = { width: options.width ?? 560, height: options.height ?? 520 };
  const margin = { top: 24, right: 16, bottom: 40, left: 60 };
  const { root, plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const gap = 110;
  const panelH = (innerHeight - gap) / 2;
  const ep = series.epochs;
  const x = d3
    .scaleLinear()
    .domain(ep.length > 1 ? (d3.extent(ep) as [number, number]) : [(ep[0] ?? 0) - 0.5, (ep[0] ?? 0) + 0.5])
    .range([0, innerWidth]);
  const n = ep.length;

  const paper: SeriesSpec[] = [
    { key: 'paper', label: 'Q vs gradient (paper std)', values: series.paperStd, colour: OKABE_ITO[3], primary: true },
    {
      key: 'randomQ',
      label: series.randomQPool < series.N ? `random Q indices (of the first ${series.randomQPool})` : 'random Q indices',
      values: series.paperStdRandomQ,
      colour: OKABE_ITO[1],
      dashed: true,
    },
    ...(series.paperStdLastQ.some(Number.isFinite)
      ? [{ key: 'lastQ', label: 'last 10 Q vectors', values: series.paperStdLastQ, colour: OKABE_ITO[7], dashed: true }]
      : []),
    { key: 'mismatched', label: 'Q of another probe', values: series.paperStdMismatched, colour: OKABE_ITO[2], dashed: true },
    { key: 'whh', label: 'W_hh singular vectors', values: series.paperStdWhh, colour: OKABE_ITO[5], dashed: true },
    // Beside Q, not a control of the same kind: covariant vectors in place of Q (method.md §9).
    ...(series.paperStdClv.some(Number.isFinite)
      ? [{ key: 'clv', label: 'CLVs vs gradient (in place of Q)', values: series.paperStdClv, colour: OKABE_ITO[0] }]
      : []),
  ];
  // Gated cells have no left statistics (their left singular vectors live in the gate space,
  // method.md §4 "Gated cells"; NaN in the snapshot): the right overlap is the curve there.
  const overlap: SeriesSpec[] = series.overlapLeft.some(Number.isFinite)
    ? [
        {
          key: 'left',
          label: 'left (adjoint) overlap ± sd',
          values: series.overlapLeft,
          colour: OKABE_ITO[3],
          spread: series.overlapLeftStd,
          primary: true,
        },
        { key: 'right', label: 'right overlap', values: series.overlapRight, colour: OKABE_ITO[4] },
        {
          key: 'leftMismatched',
          label: 'left, Q of another probe',
          values: series.overlapLeftMismatched,
          colour: OKABE_ITO[2],
          dashed: true,
        },
        { key: 'leftWhh', label: 'left, W_hh subspace', values: series.overlapLeftWhh, colour: OKABE_ITO[5], dashed: true },
      ]
    : [
        {
          key: 'right',
          label: 'right overlap ± sd (gated: no left side)',
          values: series.overlapRight,
          colour: OKABE_ITO[4],
          spread: series.overlapRightStd,
          primary: true,
        },
      ];
  const nullCos = series.nullCosStdLevel;
  const nullOverlap = series.overlapNullLevel;

  const drawPanel = (
    cls: string,
    top: number,
    specs: SeriesSpec[],
    nullValue: number,
    nullLabel: string,
    yLabel: string,
    clampUnit: boolean,
    notes: LegendItem[] = [],
  ) => {
    const g = plot.append('g').attr('class', cls).attr('transform', `translate(0,${top})`);
    const arrays: number[][] = [[nullValue, 0]];
    for (const s of specs) {
      arrays.push(s.values);
      if (s.spread)
        arrays.push(
          s.values.map((v, i) => v + s.spread![i]),
          s.values.map((v, i) => v - s.spread![i]),
        );
    }
    const ext = finiteExtent(...arrays);
    const y = d3
      .scaleLinear()
      .domain(clampUnit ? [Math.max(0, ext[0]), Math.min(1, ext[1])] : ext)
      .nice()
      .range([panelH, 0]);
    styleAxis(
      g
        .append('g')
        .attr('class', 'x-axis')
        .attr('transform', `translate(0,${panelH})`)
        .call(
          d3
            .axisBottom(x)
            .ticks(Math.min(10, Math.max(1, n)))
            .tickFormat(d3.format('d')),
        ),
    );
    appendValueAxis(g, y, 5);
    addLabel(g, 'epoch', innerWidth / 2, panelH + 32);
    addLabel(g, yLabel, -46, panelH / 2, { rotate: true });
    addRule(g, 'null-line', [0, y(nullValue), innerWidth, y(nullValue)], NULL_COLOUR)
      .attr('stroke-width', 1.5)
      .attr('stroke-dasharray', '2,3');
    g.append('text')
      .attr('class', 'null-label')
      .attr('x', innerWidth - 4)
      .attr('y', y(nullValue) - 4)
      .attr('text-anchor', 'end')
      .attr('font-size', FONT_SIZE)
      .attr('fill', TEXT_COLOUR)
      .text(`${nullLabel} = ${formatNumber(nullValue)}`);
    if (options.selectedEpoch !== undefined && ep.includes(options.selectedEpoch)) {
      addRule(g, 'selected-epoch', [x(options.selectedEpoch), 0, x(options.selectedEpoch), panelH], '#444').attr('stroke-dasharray', '4,3');
    }
    const idx = ep.map((_, i) => i);
    // Controls first, the claim's line last so it is never hidden under a control.
    const drawOrder = [...specs.filter((s) => !s.primary), ...specs.filter((s) => s.primary)];
    for (const s of drawOrder) {
      if (s.spread) {
        const sp = s.spread;
        g.append('path')
          .attr('class', `band band-${s.key}`)
          .attr('fill', s.colour)
          .attr('fill-opacity', 0.18)
          .attr(
            'd',
            d3
              .area<number>()
              .defined((i) => Number.isFinite(s.values[i]) && Number.isFinite(sp[i]))
              .x((i) => x(ep[i]))
              .y0((i) => y(s.values[i] - sp[i]))
              .y1((i) => y(s.values[i] + sp[i]))(idx) ?? '',
          );
      }
      const d = linePath(idx, (i) => x(ep[i]), y, s.values);
      if (s.primary)
        g.append('path')
          .attr('class', `halo halo-${s.key}`)
          .attr('fill', 'none')
          .attr('stroke', '#ffffff')
          .attr('stroke-width', 7)
          .attr('d', d);
      g.append('path')
        .attr('class', `series series-${s.key}`)
        .attr('fill', 'none')
        .attr('stroke', s.colour)
        .attr('stroke-width', s.primary ? 3.5 : s.dashed ? 1.8 : 2.5)
        .attr('stroke-dasharray', s.dashed ? '6,4' : null)
        .attr('d', d);
      g.append('g')
        .attr('class', `dots dots-${s.key}`)
        .selectAll('circle')
        .data(idx.filter((i) => Number.isFinite(s.values[i])))
        .join('circle')
        .attr('cx', (i) => x(ep[i]))
        .attr('cy', (i) => y(s.values[i]))
        .attr('r', s.primary ? 4.5 : 3)
        .attr('fill', s.colour)
        .attr('stroke', s.primary ? '#ffffff' : null)
        .attr('stroke-width', s.primary ? 1.5 : null);
    }
    const legend: LegendItem[] = specs.map((s) => ({ label: s.label, colour: s.colour, kind: s.dashed ? 'dashed' : 'line' }));
    legend.push({ label: nullLabel, colour: NULL_COLOUR, kind: 'dashed' }, ...notes);
    const used = drawLegend(g, legend, 0, panelH + 52, innerWidth);
    growToFit(root, margin.top + top + panelH + 52 + used);
    return y;
  };

  const yPaper = drawPanel('paper-panel', 0, paper, nullCos, 'null 1/√N', 'cos std', false);
  // CLV overlaps equal Q's (same spans, method.md §9): said in the legend, not drawn twice.
  const clvNote: LegendItem[] = series.clvOverlapSameAsQ
    ? [{ label: 'CLVs: same overlap as Q (equal spans)', colour: OKABE_ITO[0], key: 'clvOverlapNote' }]
    : [];
  const yOverlap = drawPanel(
    'overlap-panel',
    panelH + gap,
    overlap,
    nullOverlap,
    `null m/N (m=${series.m})`,
    'mean cos² overlap',
    true,
    clvNote,
  );
  return { x, yPaper, yOverlap };
}

/**
 * Draws the |cos| matrix [nq][nsv] as a grid of `rect.cos-cell` (row a = Q vector, column j =
 * singular vector), coloured on a sequential 0..1 scale (d3.interpolateBlues) with the value printed.
 */
export function renderCosMatrix(svg: SVGSVGElement, matrix: number[][], options: Partial<ChartSize> = {}): d3.ScaleSequential<string> {
  const nq = matrix.length;
  const nsv = matrix[0]?.length ?? 0;
  const size = { width: options.width ?? 260, height: options.height ?? Math.max(120, 40 + nq * 22 + 40) };
  const margin = { top: 36, right: 8, bottom: 8, left: 44 };
  const { plot, innerWidth, innerHeight } = prepareSvg(svg, size, margin);
  const cw = nsv > 0 ? innerWidth / nsv : 0;
  const ch = nq > 0 ? innerHeight / nq : 0;
  const colour = d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
  const cells: { a: number; j: number; v: number }[] = [];
  matrix.forEach((row, a) => row.forEach((v, j) => cells.push({ a, j, v: Math.abs(v) })));
  const g = plot.append('g').attr('class', 'cos-cells');
  g.selectAll('rect')
    .data(cells)
    .join('rect')
    .attr('class', 'cos-cell')
    .attr('x', (d) => d.j * cw)
    .attr('y', (d) => d.a * ch)
    .attr('width', cw)
    .attr('height', ch)
    .attr('fill', (d) => colour(d.v))
    .attr('stroke', '#fff')
    .append('title')
    .text((d) => `|cos(q${d.a + 1}, v${d.j + 1})| = ${formatNumber(d.v)}`);
  if (ch >= FONT_SIZE + 2 && cw >= 30) {
    g.selectAll('text')
      .data(cells)
      .join('text')
      .attr('x', (d) => d.j * cw + cw / 2)
      .attr('y', (d) => d.a * ch + ch / 2 + 4)
      .attr('text-anchor', 'middle')
      .attr('font-size', FONT_SIZE)
      .attr('fill', (d) => (d.v > 0.55 ? '#fff' : TEXT_COLOUR))
      .text((d) => d.v.toFixed(2));
  }
  for (let j = 0; j < nsv; j++) addLabel(plot, `v${j + 1}`, j * cw + cw / 2, -8);
  for (let a = 0; a < nq; a++) {
    if (ch >= FONT_SIZE || a % Math.ceil(FONT_SIZE / Math.max(ch, 1)) === 0)
      addLabel(plot, `q${a + 1}`, -6, a * ch + ch / 2 + 4, { anchor: 'end' });
  }
  return colour;
}
