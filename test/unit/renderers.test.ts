// @vitest-environment jsdom
/**
 * Renderer tests from fixed arrays: the data -> cell/colour/step maths of the heatmap, and the
 * structure and numbers of the SVG charts (positions recomputed independently from the chart
 * geometry, nulls at 1/sqrt(N) and m/N, quantiles of the random baseline by hand).
 */
import { describe, expect, it } from 'vitest';
import type { AlignmentSummary, FlipSummary } from '../../src/core/snapshot';
import {
  digitRgba,
  divergingRgb,
  HeatmapLookup,
  heatmapRgba,
  MISSING_RGB,
  pointerToCell,
  tooltipLines,
} from '../../src/ui/renderers/heatmap';
import { probeStepScores, symmetricDomain } from '../../src/core/transforms/heatmap';
import { runningFtle } from '../../src/core/dynamics/lyapunov';
import { rankDescending, stepRanks } from '../../src/core/sensitivity/scores';
import { cellToStepOf, flipImageSteps, sequenceSpec, type StepToCells } from '../../src/data/encodings';
import { renderDivergingLegend } from '../../src/ui/renderers/heatmap';
import { flipChartData, flipCurves, flipTable, randomBaseline } from '../../src/core/transforms/flip';
import { renderFlipPlot } from '../../src/ui/renderers/flip';
import { alignmentSeries } from '../../src/core/transforms/alignment';
import { renderAlignmentPlot, renderCosMatrix } from '../../src/ui/renderers/alignment';
import { probeSeries, spectrumChartData, spectrumStats } from '../../src/core/transforms/spectrum';
import { renderProbeSeries, renderSpectrumPlot } from '../../src/ui/renderers/spectrum';
import { renderLogitsPlot } from '../../src/ui/renderers/logits';
import { decimate, renderSparkline, renderTrainingCurves } from '../../src/ui/renderers/training';
import { serializeSvg, wrapWords } from '../../src/ui/renderers/export';
import { quantile } from '../../src/core/stats/descriptive';
import { formatNumber } from '../../src/ui/renderers/common';

const newSvg = (): SVGSVGElement => {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  document.body.appendChild(svg);
  return svg;
};
const num = (el: Element | null, attr: string): number => Number(el?.getAttribute(attr));
/** The plot-area translation of a chart (its margin). */
const plotOffset = (svg: SVGSVGElement): [number, number] => {
  const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(svg.querySelector('g.plot-area')!.getAttribute('transform')!)!;
  return [Number(m[1]), Number(m[2])];
};
/** Vertices "x,y" of an SVG path made of M/L commands. */
/** S = 2 pixel encoding reading flat pixels 3, 0, 2, 1 (sequenceSpec only builds the real 14/28 grids). */
const PERM_2X2: StepToCells = [[[1, 1]], [[0, 0]], [[1, 0]], [[0, 1]]];
const IDENTITY_2X2: StepToCells = [[[0, 0]], [[0, 1]], [[1, 0]], [[1, 1]]];
const pathPoints = (d: string): [number, number][] =>
  (d.match(/[-\d.e]+,[-\d.e]+/g) ?? []).map((s) => s.split(',').map(Number) as [number, number]);

describe('heatmap maths', () => {
  it('inverts a permuted pixel encoding: each cell maps to the step that reads it', () => {
    expect(Array.from(cellToStepOf(PERM_2X2, 2))).toEqual([1, 3, 2, 0]);
  });

  it('row-wise encoding: a whole row shares one step; unfed cells are -1', () => {
    const row = sequenceSpec('row', null);
    expect(Array.from(row.cellToStep.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(row.cellToStep.subarray(28, 31))).toEqual([1, 1, 1]);
    expect(Array.from(cellToStepOf([[[0, 0]], [[1, 1]]], 2))).toEqual([0, -1, -1, 1]);
  });

  it('s_t(n) averages the first n ln r at each step (not cumulative) and clamps n to 1..k', () => {
    const lnR = [1, 2, 3, -1, -2, -6]; // T = 2, k = 3
    expect(Array.from(probeStepScores(lnR, 2, 3, 1))).toEqual([1, -1]);
    expect(Array.from(probeStepScores(lnR, 2, 3, 2))).toEqual([1.5, -1.5]);
    expect(Array.from(probeStepScores(lnR, 2, 3, 9))).toEqual([2, -3]);
  });

  it('FTLE_1(t) is the running mean of ln r_1', () => {
    const lnR = [1, 9, -1, 9, 3, 9]; // T = 3, k = 2; column 0 = 1, -1, 3
    expect(Array.from(runningFtle(lnR, 3, 2, 0))).toEqual([1, 0, 1]);
    expect(Array.from(runningFtle(lnR, 3, 2, 1))).toEqual([9, 9, 9]);
  });

  it('ranks steps by score, 1 = largest, ties in time order, NaN last', () => {
    expect(Array.from(stepRanks([0.1, 0.5, -2, 0.5], 4))).toEqual([3, 1, 4, 2]);
    expect(Array.from(rankDescending([NaN, 1, 2], 3))).toEqual([2, 1, 0]);
    expect(Array.from(rankDescending([1, NaN, 1, NaN, -Infinity], 5))).toEqual([0, 2, 4, 1, 3]);
  });

  it('diverging colours are centred on 0: white-ish at 0, red for expansion, blue for contraction, clamped', () => {
    const zero = divergingRgb(0, 2);
    for (const ch of zero) expect(ch).toBeGreaterThan(235);
    const pos = divergingRgb(2, 2);
    const neg = divergingRgb(-2, 2);
    expect(pos[0]).toBeGreaterThan(pos[2] + 50);
    expect(neg[2]).toBeGreaterThan(neg[0] + 50);
    expect(divergingRgb(50, 2)).toEqual(pos);
    // Symmetry of the scale: +v and -v sit at the same distance from the white midpoint.
    expect(symmetricDomain([0.3, -1.7, NaN], [1.2])).toBe(1.7);
    expect(symmetricDomain([])).toBe(1);
  });

  it('heatmap RGBA colours each cell by its step score and greys unfed cells', () => {
    const c2s = Int32Array.from([1, -1, 0, 0]);
    const scores = [-1, 1];
    const rgba = heatmapRgba(c2s, scores, 1);
    expect(rgba.length).toBe(16);
    const px = (i: number) => Array.from(rgba.slice(i * 4, i * 4 + 3));
    // Cell 0 reads step 1 (score +1 = domain edge, red); cells 2 and 3 read step 0 (blue).
    const red = divergingRgb(1, 1);
    const blue = divergingRgb(-1, 1);
    px(0).forEach((v, j) => expect(Math.abs(v - red[j])).toBeLessThanOrEqual(2));
    px(2).forEach((v, j) => expect(Math.abs(v - blue[j])).toBeLessThanOrEqual(2));
    expect(px(3)).toEqual(px(2));
    expect(px(1)).toEqual(MISSING_RGB);
    expect(rgba[3]).toBe(255);
  });

  it('digit RGBA draws ink dark on white', () => {
    const rgba = digitRgba([0, 1, 0.5]);
    expect(Array.from(rgba.slice(0, 4))).toEqual([255, 255, 255, 255]);
    expect(Array.from(rgba.slice(4, 7))).toEqual([0, 0, 0]);
    expect(rgba[8]).toBe(128);
  });

  it('maps a pointer position to the cell whose box contains it', () => {
    expect(pointerToCell(0, 0, 280, 280, 28)).toEqual({ row: 0, col: 0 });
    expect(pointerToCell(279.9, 10, 280, 280, 28)).toEqual({ row: 1, col: 27 });
    expect(pointerToCell(25, 139, 140, 280, 14)).toEqual({ row: 6, col: 2 });
    expect(pointerToCell(-0.1, 5, 280, 280, 28)).toBeNull();
    expect(pointerToCell(280, 5, 280, 280, 28)).toBeNull();
    expect(pointerToCell(5, 5, 0, 0, 28)).toBeNull();
  });

  it('flip rule: pixels < 0.001 become 1, others 0, only on the chosen steps', () => {
    const pixels = [0, 0.0005, 0.5, 1];
    expect(Array.from(flipImageSteps(pixels, [0, 1, 2, 3], IDENTITY_2X2, 2))).toEqual([1, 1, 0, 0]);
    expect(Array.from(flipImageSteps(pixels, [2], IDENTITY_2X2, 2))).toEqual([0, 0.0005, 0, 1]);
  });

  it('hover lookup returns the step, rank, ln r, running FTLE and flip dL of the cell', () => {
    // S = 2 permuted pixel encoding, k = 2.
    const lnR = [0.5, 0.1, -0.5, 0.2, 1.5, 0.3, -1.5, 0.4];
    const scores = probeStepScores(lnR, 4, 2, 1); // 0.5, -0.5, 1.5, -1.5
    const lookup = new HeatmapLookup({
      S: 2,
      T: 4,
      k: 2,
      pixels: [0, 0.25, 0.5, 1],
      lnR,
      scores,
      stepToCells: PERM_2X2,
      singleFlip: [0.01, 0.02, 0.03, 0.04],
    });
    // Cell (1, 0) = flat 2 is read at step index 2 (t = 3), the largest score.
    const info = lookup.describe(1, 0)!;
    expect(info.step).toBe(2);
    expect(info.rank).toBe(1);
    expect(info.pixel).toBe(0.5);
    expect(info.lnR).toEqual([1.5, 0.3]);
    expect(info.ftle1).toBeCloseTo((0.5 - 0.5 + 1.5) / 3, 12);
    expect(info.flipDL).toBe(0.03);
    const lines = tooltipLines(info, formatNumber, 1);
    expect(lines.join(' ')).toContain('t=3');
    expect(lines.join(' ')).toContain('flip dL=0.03');
    // Scores 0.5, -0.5, 1.5, -1.5: flat 0 is read at step index 1 (rank 3), flat 3 at index 0 (rank 2).
    expect(lookup.describe(0, 0)!.rank).toBe(3);
    expect(lookup.describe(1, 1)!.rank).toBe(2);
    expect(lookup.describe(5, 0)).toBeNull();
  });
});

/** A small FlipSummary with hand-checkable numbers: K = 4 k-values, B = 3 images, R = 4 draws. */
function demoFlip(): FlipSummary {
  const kList = [1, 2, 5, 10];
  const top = [
    [0.1, 0.2, 0.3],
    [0.2, 0.4, 0.6],
    [0.5, 0.5, 0.8],
    [1, 1.2, 1.4],
  ];
  const bottom = [
    [0, 0, 0],
    [-0.1, 0, 0.1],
    [0, 0.1, -0.1],
    [0.05, 0.05, 0.05],
  ];
  // Per-draw image means at k index 0: 0, 0.1, 0.2, 0.3 (then scaled by k index + 1).
  const dLRand = kList.map((_, i) => [0, 0.1, 0.2, 0.3].map((m) => [m * (i + 1) - 0.05, m * (i + 1), m * (i + 1) + 0.05]));
  return {
    n: 1,
    kList,
    R: 4,
    baseLoss: [0.1, 0.2, 0.3],
    dL: { top, bottom },
    dLRand,
    zTest: { d: [0, 0, 0, 0], sigma: [1, 1, 1, 1], p: [0.3, 0.02, 0.001, 0.01], pHolm: [0.3, 0.04, 0.004, 0.03] },
    wilcoxon: { top: { medianDiff: [0, 0, 0, 0], meanDiff: [0, 0, 0, 0], p: [0.1, 0.02, 0.003, 0.05], pHolm: [0.2, 0.04, 0.012, 0.06] } },
    band: {
      top: [
        [0.1, 0.3],
        [0.2, 0.6],
        [0.5, 0.8],
        [1, 1.4],
      ],
      bottom: [
        [0, 0],
        [-0.1, 0.1],
        [-0.1, 0.1],
        [0.05, 0.05],
      ],
    },
    effect: { top: [1, 2, 3, 4] },
    singleFlip: [[0]],
    scores: [[0]],
    absDLdx: [[0]],
    kFig: 10,
    softmaxOrig: [[1]],
    softmaxTop: [[1]],
    softmaxRand: [[1]],
  };
}

describe('flip plot', () => {
  it('means over images and the random band as 5-95% quantiles of per-draw means', () => {
    const flip = demoFlip();
    const curves = flipCurves(flip);
    expect(curves.map((c) => c.name)).toEqual(['top', 'bottom']);
    curves[0].mean.forEach((v, i) => expect(v).toBeCloseTo([0.2, 0.4, 0.6, 1.2][i], 12));
    const rand = randomBaseline(flip);
    // Per-draw means at k index i: (0, 0.1, 0.2, 0.3)(i+1); mean 0.15(i+1);
    // linear-interpolated quantile: position 0.05 * 3 = 0.15 -> 0.015(i+1); 0.95 * 3 = 2.85 -> 0.285(i+1).
    rand.mean.forEach((v, i) => expect(v).toBeCloseTo(0.15 * (i + 1), 12));
    rand.q05.forEach((v, i) => expect(v).toBeCloseTo(0.015 * (i + 1), 12));
    rand.q95.forEach((v, i) => expect(v).toBeCloseTo(0.285 * (i + 1), 12));
    expect(quantile([3, 1, 2, NaN], 0.5)).toBe(2);
  });

  it('draws lines, bands, log-x markers at the means, and fills markers where Holm p < 0.05', () => {
    const svg = newSvg();
    const { x, y } = renderFlipPlot(svg, flipChartData(demoFlip()), { width: 600, height: 360 });
    const [ml] = plotOffset(svg);
    const innerWidth = 600 - ml - 16;
    expect(svg.querySelectorAll('path.series').length).toBe(3); // top, bottom, random
    expect(svg.querySelector('path.band-top')).not.toBeNull();
    expect(svg.querySelector('path.band-random')).not.toBeNull();
    const markers = svg.querySelectorAll('circle.top-marker');
    expect(markers.length).toBe(4);
    expect(svg.querySelectorAll('circle.top-marker.significant').length).toBe(2); // pHolm 0.04, 0.012
    expect(markers[1].getAttribute('class')).toContain('significant');
    expect(markers[3].getAttribute('class')).not.toContain('significant');
    // Log axis from k = 1 to 10: k sits at innerWidth * log10(k).
    [1, 2, 5, 10].forEach((k, i) => expect(num(markers[i], 'cx')).toBeCloseTo(innerWidth * Math.log10(k), 6));
    expect(num(markers[2], 'cy')).toBeCloseTo(y(0.6), 9);
    expect(y.invert(num(markers[3], 'cy'))).toBeCloseTo(1.2, 9);
    const ticks = Array.from(svg.querySelectorAll('g.x-axis .tick text')).map((t) => t.textContent);
    expect(ticks).toEqual(['1', '2', '5', '10']);
    // The bootstrap band is a closed polygon through 2K vertices: upper edge then lower edge.
    const band = pathPoints(svg.querySelector('path.band-top')!.getAttribute('d')!);
    expect(band.length).toBe(8);
    expect(band[0][0]).toBeCloseTo(x(1), 6);
    expect(y.invert(band[0][1])).toBeCloseTo(0.3, 9);
    expect(y.invert(band[7][1])).toBeCloseTo(0.1, 9);
    // Zero line at dL = 0.
    expect(y.invert(num(svg.querySelector('line.zero-line'), 'y1'))).toBeCloseTo(0, 9);
  });

  it('table rows carry the Wilcoxon and z-test p-values per k', () => {
    const rows = flipTable(demoFlip());
    expect(rows.map((r) => r.k)).toEqual([1, 2, 5, 10]);
    expect(rows[2].wilcoxonPHolm).toBe(0.012);
    expect(rows[1].zPHolm).toBe(0.04);
    expect(rows[3].meanRanking).toBeCloseTo(1.2, 12);
    expect(rows[3].meanRandom).toBeCloseTo(0.6, 12);
  });
});

/** AlignmentSummary with N = 64 (null 1/8) and m = [2, 8] (null 2/64, 8/64), two steps. */
function demoAlignment(scale: number): AlignmentSummary {
  const N = 64;
  return {
    steps: [14, 28],
    paperStd: [0.2 * scale, 0.3 * scale],
    paperStdRandomQ: [0.12, 0.13],
    paperStdMismatched: [0.11, 0.12],
    paperStdWhh: [0.14, 0.16],
    nullCosStd: 1 / Math.sqrt(N),
    m: [2, 8],
    overlapLeft: [
      [0.3 * scale, 0.4],
      [0.5 * scale, 0.6],
    ],
    overlapRight: [
      [0.1, 0.2],
      [0.1, 0.2],
    ],
    overlapLeftStd: [
      [0.05, 0.05],
      [0.05, 0.05],
    ],
    overlapRightStd: [
      [0.02, 0.02],
      [0.02, 0.02],
    ],
    overlapLeftMismatched: [
      [0.04, 0.13],
      [0.04, 0.13],
    ],
    overlapLeftWhh: [
      [0.05, 0.14],
      [0.05, 0.14],
    ],
    overlapNull: [2 / N, 8 / N],
    cosMatrix: [
      [0.9, -0.1, 0.2],
      [-0.8, 0.3, 0.05],
    ],
    effectiveRank: [1.5, 1.7],
  };
}

describe('alignment plot', () => {
  it('averages over steps per epoch for the chosen m and skips epochs without alignment', () => {
    const s = alignmentSeries(
      [
        { epoch: 0, alignment: demoAlignment(1) },
        { epoch: 1, alignment: null },
        { epoch: 2, alignment: demoAlignment(2) },
      ],
      2,
    );
    expect(s.epochs).toEqual([0, 2]);
    expect(s.paperStd[0]).toBeCloseTo(0.25, 12);
    expect(s.paperStd[1]).toBeCloseTo(0.5, 12);
    expect(s.overlapLeft[1]).toBeCloseTo(0.8, 12);
    expect(s.overlapNull[0]).toBeCloseTo(2 / 64, 12);
    const s8 = alignmentSeries([{ epoch: 0, alignment: demoAlignment(1) }], 8);
    expect(s8.m).toBe(8);
    expect(s8.overlapLeft[0]).toBeCloseTo(0.5, 12);
    expect(alignmentSeries([{ epoch: 0, alignment: demoAlignment(1) }], 5).m).toBe(2);
  });

  it('puts the null lines at 1/sqrt(N) and m/N and one dot per epoch per series', () => {
    const svg = newSvg();
    const s = alignmentSeries(
      [0, 1, 2].map((e) => ({ epoch: e, alignment: demoAlignment(1 + e / 2) })),
      8,
    );
    const { x, yPaper, yOverlap } = renderAlignmentPlot(svg, s, { selectedEpoch: 1 });
    const nullPaper = svg.querySelector('g.paper-panel line.null-line')!;
    expect(yPaper.invert(num(nullPaper, 'y1'))).toBeCloseTo(0.125, 9);
    const nullOverlap = svg.querySelector('g.overlap-panel line.null-line')!;
    expect(yOverlap.invert(num(nullOverlap, 'y1'))).toBeCloseTo(8 / 64, 9);
    expect(svg.querySelector('g.paper-panel text.null-label')!.textContent).toContain('0.125');
    expect(svg.querySelectorAll('g.paper-panel path.series').length).toBe(4);
    expect(svg.querySelectorAll('g.overlap-panel path.series').length).toBe(4);
    expect(svg.querySelector('g.overlap-panel path.band-left')).not.toBeNull();
    const dots = svg.querySelectorAll('g.dots-paper circle');
    expect(dots.length).toBe(3);
    expect(yPaper.invert(num(dots[2], 'cy'))).toBeCloseTo(0.25 * 2, 9);
    expect(num(dots[2], 'cx')).toBeCloseTo(x(2), 9);
    expect(num(svg.querySelector('g.paper-panel line.selected-epoch'), 'x1')).toBeCloseTo(x(1), 9);
  });

  it("draws the CLV statistic beside Q (epoch means of paperStdClv) and says the CLV overlaps equal Q's", () => {
    const withClv = (e: number) => ({ ...demoAlignment(1), paperStdClv: [0.3 + 0.05 * e, 0.5] });
    const s = alignmentSeries(
      [
        { epoch: 0, alignment: withClv(0) },
        { epoch: 1, alignment: demoAlignment(1) },
        { epoch: 2, alignment: withClv(2) },
      ],
      2,
    );
    expect(s.paperStdClv[0]).toBeCloseTo(0.4, 12);
    expect(Number.isNaN(s.paperStdClv[1])).toBe(true); // an epoch without CLVs
    expect(s.paperStdClv[2]).toBeCloseTo(0.45, 12);
    expect(s.clvOverlapSameAsQ).toBe(true);
    const svg = newSvg();
    const { yPaper } = renderAlignmentPlot(svg, s);
    const dots = svg.querySelectorAll('g.dots-clv circle');
    expect(dots.length).toBe(2);
    expect(yPaper.invert(num(dots[1], 'cy'))).toBeCloseTo(0.45, 9);
    expect(svg.querySelector('g.overlap-panel [data-series="clvOverlapNote"]')).not.toBeNull();
    const none = newSvg();
    renderAlignmentPlot(none, alignmentSeries([{ epoch: 0, alignment: demoAlignment(1) }], 2));
    expect(none.querySelector('g.paper-panel path.series-clv')).toBeNull();
    expect(none.querySelector('[data-series="clvOverlapNote"]')).toBeNull();
  });

  it('the whole-basis controls: a last-10-Q series when present, and the random pool in the legend when narrower than N', () => {
    const full = (e: number) => ({ ...demoAlignment(1), randomQPool: 64, paperStdLastQ: [0.05 + 0.01 * e, 0.07] });
    const svg = newSvg();
    const s = alignmentSeries(
      [0, 1].map((e) => ({ epoch: e, alignment: full(e) })),
      2,
    );
    expect(s.paperStdLastQ[1]).toBeCloseTo((0.06 + 0.07) / 2, 12); // mean over the two steps
    renderAlignmentPlot(svg, s);
    expect(svg.querySelectorAll('g.paper-panel path.series').length).toBe(5);
    expect(svg.querySelector('g.paper-panel path.series-lastQ')).not.toBeNull();
    expect(svg.textContent).toContain('last 10 Q vectors');
    expect(svg.textContent).not.toContain('of the first');
    // Over budget (pool 20 < N = 64): no last-Q series, and the legend says how narrow the control is.
    const narrow = newSvg();
    renderAlignmentPlot(narrow, alignmentSeries([{ epoch: 0, alignment: { ...demoAlignment(1), randomQPool: 20 } }], 2));
    expect(narrow.querySelectorAll('g.paper-panel path.series').length).toBe(4);
    expect(narrow.textContent).toContain('random Q indices (of the first 20)');
  });

  it('|cos| matrix: one cell per (q, v), sign ignored', () => {
    const svg = newSvg();
    const colour = renderCosMatrix(svg, demoAlignment(1).cosMatrix);
    const cells = svg.querySelectorAll('rect.cos-cell');
    expect(cells.length).toBe(6);
    expect(cells[3].getAttribute('fill')).toBe(colour(0.8)); // row 1, col 0 = |-0.8|
    expect(cells[0].querySelector('title')!.textContent).toContain('0.9');
    expect(Array.from(svg.querySelectorAll('g.cos-cells text')).map((t) => t.textContent)).toContain('0.80');
  });
});

describe('spectrum plot', () => {
  it('mean and range over probes; log2 divides by ln 2; earlier epochs faded', () => {
    const spectrum = [
      [0.1, -0.2, -0.5],
      [0.3, -0.4, -0.7],
    ];
    const st = spectrumStats(spectrum);
    expect(st.mean.map((v) => +v.toFixed(12))).toEqual([0.2, -0.3, -0.6]);
    expect(st.min).toEqual([0.1, -0.4, -0.7]);
    expect(st.max).toEqual([0.3, -0.2, -0.5]);
    const svg = newSvg();
    const { x, y } = renderSpectrumPlot(
      svg,
      spectrumChartData({ epoch: 3, spectrum }, [
        { epoch: 1, spectrum: [[0, 0, 0]] },
        { epoch: 2, spectrum: [[0, 0, -1]] },
      ]),
      { log2: true },
    );
    const dots = svg.querySelectorAll('g.spectrum-dots circle');
    expect(dots.length).toBe(3);
    expect(y.invert(num(dots[1], 'cy'))).toBeCloseTo(-0.3 / Math.LN2, 9);
    expect(num(dots[2], 'cx')).toBeCloseTo(x(3), 9);
    const earlier = svg.querySelectorAll('path.spectrum-earlier');
    expect(earlier.length).toBe(2);
    expect(Number(earlier[0].getAttribute('stroke-opacity'))).toBeLessThan(Number(earlier[1].getAttribute('stroke-opacity')));
    expect(svg.textContent).toContain('bits per step');
  });

  it('probe series: FTLE_1(t) is the running mean and the hovered step is marked', () => {
    const lnR = [1, 0, -1, 0, 3, 0]; // T = 3, k = 2
    const svg = newSvg();
    const { x, y } = renderProbeSeries(svg, probeSeries(lnR, 3, 2), { hoveredStep: 2 });
    const ftle = pathPoints(svg.querySelector('path.series-ftle1')!.getAttribute('d')!);
    expect(ftle.map((p) => +y.invert(p[1]).toFixed(9))).toEqual([1, 0, 1]);
    const r1 = pathPoints(svg.querySelector('path.series-lnr1')!.getAttribute('d')!);
    expect(y.invert(r1[2][1])).toBeCloseTo(3, 9);
    expect(num(svg.querySelector('line.hover-step'), 'x1')).toBeCloseTo(x(3), 9);
    expect(svg.textContent).toContain('t=3');
    renderProbeSeries(svg, probeSeries(lnR, 3, 2), { hoveredStep: null });
    expect(svg.querySelector('line.hover-step')).toBeNull();
  });
});

describe('logits plot', () => {
  it('draws 10 x 3 bars whose heights are the probabilities on a 0..1 axis', () => {
    const original = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.55, 0.05, 0.05];
    const rFlipped = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const randomFlipped = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0];
    const svg = newSvg();
    const { y } = renderLogitsPlot(svg, { original, rFlipped, randomFlipped, k: 20, label: 7 }, { width: 500, height: 300 });
    const bars = svg.querySelectorAll('rect.bar');
    expect(bars.length).toBe(30);
    const innerHeight = 300 - 24 - 64;
    const bar = svg.querySelector('rect.bar[data-group="original"][data-class="7"]')!;
    expect(num(bar, 'height')).toBeCloseTo(0.55 * innerHeight, 9);
    expect(num(bar, 'y')).toBeCloseTo(y(0.55), 9);
    expect(num(svg.querySelector('rect.bar[data-group="randomFlipped"][data-class="7"]'), 'height')).toBeCloseTo(innerHeight, 9);
    expect(svg.querySelector('rect.true-class')).not.toBeNull();
    expect(svg.textContent).toContain('k=20');
    // The legend wraps to two rows at 500 px; the SVG grows so the second row stays visible.
    const legendRows = new Set(Array.from(svg.querySelectorAll('g.legend-item')).map((g) => g.getAttribute('transform')!.split(',')[1]));
    expect(legendRows.size).toBe(2);
    expect(num(svg, 'height')).toBe(24 + innerHeight + 52 + 2 * 18);
    expect(svg.getAttribute('viewBox')).toBe(`0 0 500 ${num(svg, 'height')}`);
    expect(svg.outerHTML).toMatchSnapshot();
  });
});

describe('training curves and sparklines', () => {
  it('decimates into bucket means without exceeding maxPoints', () => {
    const v = Array.from({ length: 10 }, (_, i) => i);
    expect(decimate(v, 20).length).toBe(10);
    const d = decimate(v, 5);
    expect(d).toEqual([
      [0.5, 0.5],
      [2.5, 2.5],
      [4.5, 4.5],
      [6.5, 6.5],
      [8.5, 8.5],
    ]);
    expect(decimate([], 4)).toEqual([]);
  });

  it('sparkline spans the SVG with 2 px padding', () => {
    const svg = newSvg();
    renderSparkline(svg, [2, 4, NaN, 3], { width: 100, height: 30, marked: 3 });
    const pts = pathPoints(svg.querySelector('path.sparkline')!.getAttribute('d')!);
    // Min 2 at the bottom (y = 26), max 4 at the top (y = 0) of the 96 x 26 area.
    expect(pts[0]).toEqual([0, 26]);
    expect(pts[1][1]).toBeCloseTo(0, 9);
    expect(pts.length).toBe(3); // NaN leaves a gap
    expect(pts[2][0]).toBeCloseTo(96, 9);
    expect(num(svg.querySelector('circle.sparkline-mark'), 'cy')).toBeCloseTo(13, 9);
  });

  it('loss and accuracy curves per epoch with per-batch loss behind them', () => {
    const svg = newSvg();
    const points = [
      { epoch: 0, trainLoss: NaN, testLoss: 2.3, trainAcc: NaN, testAcc: 0.1 },
      { epoch: 1, trainLoss: 1.0, testLoss: 0.9, trainAcc: 0.7, testAcc: 0.72 },
      { epoch: 2, trainLoss: 0.5, testLoss: 0.6, trainAcc: 0.85, testAcc: 0.8 },
    ];
    const { yAcc, yLoss } = renderTrainingCurves(svg, points, {
      batchLoss: Array.from({ length: 1000 }, (_, i) => 2 - i / 1000),
      maxBatchPoints: 50,
    });
    const acc = svg.querySelectorAll('g.acc-panel g.dots-testAcc circle');
    expect(acc.length).toBe(3);
    expect(yAcc.invert(num(acc[2], 'cy'))).toBeCloseTo(80, 9);
    expect(svg.querySelectorAll('g.loss-panel g.dots-trainLoss circle').length).toBe(2); // epoch 0 has no train loss
    expect(pathPoints(svg.querySelector('path.series-batchLoss')!.getAttribute('d')!).length).toBe(50);
    expect(yLoss.domain()[0]).toBe(0);
  });
});

describe('SVG export', () => {
  it('serialises a standalone SVG with namespace, size, white background and inlined font', () => {
    const svg = newSvg();
    renderLogitsPlot(svg, { original: [0.5, 0.5], rFlipped: [0.2, 0.8], randomFlipped: [0.4, 0.6], k: 3 }, { width: 300, height: 200 });
    const text = serializeSvg(svg);
    expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    expect(root.getAttribute('width')).toBe('300');
    expect(root.querySelector('rect.export-background')!.getAttribute('fill')).toBe('#ffffff');
    expect(root.querySelector('style')!.textContent).toContain('font-size: 12px');
    expect(root.querySelectorAll('rect.bar').length).toBe(6);
    // The page's element is untouched.
    expect(svg.querySelector('rect.export-background')).toBeNull();
  });
});

describe('figure captions', () => {
  it('wrapWords keeps every word, in order, on lines of at most maxChars (a longer word alone)', () => {
    const text = 'R-top vs random: no k significant after Holm (smallest p 0.29 at k=5); gradient saliency beats R-top at 9 of 10 k';
    const lines = wrapWords(text, 30);
    expect(lines.join(' ')).toBe(text);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30);
    expect(wrapWords('a supercalifragilistic b', 5)).toEqual(['a', 'supercalifragilistic', 'b']);
  });
});

describe('heatmap colour key', () => {
  it('leaves room for "-0.455" at the left end and for the descenders of "s_t(1)" under the ramp', () => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    renderDivergingLegend(svg, 0.455, 's_t(1), ln per step', 280);
    const ticks = Array.from(svg.querySelectorAll('.tick'));
    const x0 = Number(ticks[0].getAttribute('transform')!.match(/translate\(([-\d.]+)/)![1]);
    expect(ticks[0].textContent).toBe('-0.455');
    // 12 px digits are ~7 px wide: half of a 6-character label is ~21 px.
    expect(x0).toBeGreaterThanOrEqual(24);
    const x1 = Number(ticks[2].getAttribute('transform')!.match(/translate\(([-\d.]+)/)![1]);
    expect(280 - x1).toBeGreaterThanOrEqual(24);
    // The label's baseline leaves >= 4 px for descenders ("_", "(", "p").
    const label = svg.querySelector('text.legend-label')!;
    expect(Number(svg.getAttribute('height')) - Number(label.getAttribute('y'))).toBeGreaterThanOrEqual(4);
  });
});

describe('alignment plot for a gated cell (left statistics NaN: method.md §4 "Gated cells")', () => {
  it('draws the right overlap with its band as the overlap curve, and no left series', () => {
    const nan = [
      [NaN, NaN],
      [NaN, NaN],
    ];
    const gated: AlignmentSummary = {
      ...demoAlignment(1),
      overlapLeft: nan,
      overlapLeftStd: nan,
      overlapLeftMismatched: nan,
      overlapLeftWhh: nan,
    };
    const svg = newSvg();
    const { yOverlap } = renderAlignmentPlot(
      svg,
      alignmentSeries(
        [0, 1].map((e) => ({ epoch: e, alignment: gated })),
        2,
      ),
    );
    expect(svg.querySelectorAll('g.overlap-panel path.series').length).toBe(1);
    expect(svg.querySelector('g.overlap-panel path.series-right')).not.toBeNull();
    expect(svg.querySelector('g.overlap-panel path.band-right')).not.toBeNull();
    expect(svg.textContent).not.toContain('left (adjoint)');
    expect(svg.textContent).not.toContain('NaN');
    // The paper panel is unchanged: the statistic, random Q, another probe's Q, W_hh.
    expect(svg.querySelectorAll('g.paper-panel path.series').length).toBe(4);
    // The overlap axis spans the right overlap's mean + sd at m = 2 (0.1 + 0.02), not an empty range.
    expect(yOverlap.domain()[1]).toBeGreaterThanOrEqual(0.12);
  });
});
