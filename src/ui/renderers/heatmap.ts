/**
 * Pixel heatmap drawing: s_t(n) drawn back in image coordinates.
 *
 * The numbers come from their one definition: s_t(n) and the step ranking from
 * core/sensitivity/scores.ts, the running FTLE from core/dynamics/lyapunov.ts, the step <-> cell
 * maps from data/encodings.ts. What is here (colours, hover lookup, pointer -> cell) is a pure
 * function on typed arrays (tested in jsdom, which has no real canvas); the canvas drawing is a thin
 * putImageData of an S x S RGBA buffer that CSS scales up with `image-rendering: pixelated`, so
 * cell (r, c) occupies exactly the (r, c) cell of the canvas's bounding box.
 */
import * as d3 from 'd3';
import { runningFtle } from '../../core/dynamics/lyapunov';
import { stepRanks } from '../../core/sensitivity/scores';
import { symmetricDomain } from '../../core/transforms/heatmap';
import { cellToStepOf, type StepToCells } from '../../data/encodings';
import { asciiFormat } from './common';

/** The encoding's step -> image cells map (src/data/encodings.ts sequenceSpec gives it). */
export type { StepToCells };

/**
 * Diverging colour for a value in [-halfWidth, +halfWidth], centred on 0: d3.interpolateRdBu
 * reversed so expansion (positive ln r) is red and contraction blue; 0 is the scale's white
 * midpoint; values beyond the domain clamp. Returns [r, g, b] in 0..255.
 */
export function divergingRgb(value: number, halfWidth: number): [number, number, number] {
  const c = d3.rgb(d3.interpolateRdBu(divergingPosition(value, halfWidth)));
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

/** Position in [0, 1] on the RdBu ramp for a value (0 -> 0.5, +halfWidth -> 0 = red, -halfWidth -> 1 = blue). */
export function divergingPosition(value: number, halfWidth: number): number {
  const h = halfWidth > 0 ? halfWidth : 1;
  const u = 0.5 - value / (2 * h);
  return u < 0 ? 0 : u > 1 ? 1 : u;
}

/** Colour of a cell no step feeds (or a NaN score). */
export const MISSING_RGB: [number, number, number] = [200, 200, 200];

/**
 * RGBA buffer [S*S*4] of the heatmap: cell i gets the diverging colour of scores[cellToStep[i]]
 * with the 0-centred domain [-halfWidth, halfWidth]. The colour ramp is sampled into a 256-entry
 * lookup table once so redraws stay cheap.
 */
export function heatmapRgba(
  cellToStep: Int32Array,
  scores: ArrayLike<number>,
  halfWidth: number,
  out: Uint8ClampedArray = new Uint8ClampedArray(cellToStep.length * 4),
): Uint8ClampedArray {
  const lut = rampLut();
  for (let i = 0; i < cellToStep.length; i++) {
    const t = cellToStep[i];
    const v = t >= 0 ? scores[t] : NaN;
    let r: number;
    let g: number;
    let b: number;
    if (!Number.isFinite(v)) {
      [r, g, b] = MISSING_RGB;
    } else {
      const j = Math.round(divergingPosition(v, halfWidth) * 255);
      r = lut[j * 3];
      g = lut[j * 3 + 1];
      b = lut[j * 3 + 2];
    }
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return out;
}

let lutCache: Uint8Array | null = null;
/** 256 RdBu samples, [256][3]. */
function rampLut(): Uint8Array {
  if (lutCache) return lutCache;
  const lut = new Uint8Array(256 * 3);
  for (let j = 0; j < 256; j++) {
    const c = d3.rgb(d3.interpolateRdBu(j / 255));
    lut[j * 3] = Math.round(c.r);
    lut[j * 3 + 1] = Math.round(c.g);
    lut[j * 3 + 2] = Math.round(c.b);
  }
  lutCache = lut;
  return lut;
}

/**
 * RGBA buffer [S*S*4] of a digit with intensities in [0, 1]: ink dark on white (value 1 -> black),
 * readable on a projected white page.
 */
export function digitRgba(pixels: ArrayLike<number>, out: Uint8ClampedArray = new Uint8ClampedArray(pixels.length * 4)): Uint8ClampedArray {
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.max(0, Math.min(1, pixels[i]));
    const g = Math.round(255 * (1 - v));
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * Maps a pointer position inside the canvas box (x, y in CSS px from its top-left, box of
 * width x height) to the image cell under it, or null outside. Row = floor(y / (height / S)).
 */
export function pointerToCell(x: number, y: number, width: number, height: number, S: number): { row: number; col: number } | null {
  if (!(width > 0 && height > 0) || x < 0 || y < 0 || x >= width || y >= height) return null;
  const col = Math.min(S - 1, Math.floor((x * S) / width));
  const row = Math.min(S - 1, Math.floor((y * S) / height));
  return { row, col };
}

/** Everything the tooltip shows for one hovered cell. */
export interface HoverInfo {
  row: number;
  col: number;
  /** 0-based step index feeding the cell (display as t = step + 1). */
  step: number;
  pixel: number;
  score: number;
  /** ln r_1..ln r_m at this step (m = min(k, shown)), ln per step. */
  lnR: number[];
  /** FTLE_1 up to this step. */
  ftle1: number;
  /** 1 = largest score. */
  rank: number;
  T: number;
  /** Single-pixel flip dL at this step (NaN when not available). */
  flipDL: number;
}

/** Inputs of a heatmap lookup: one probe of one epoch. */
export interface HeatmapData {
  /** Image side, 28 or 14. */
  S: number;
  T: number;
  k: number;
  /** Digit intensities [S*S] in [0, 1]. */
  pixels: ArrayLike<number>;
  /** One probe's ln r, flat [T][k]. */
  lnR: ArrayLike<number>;
  /** Per-step scores s_t(n) [T], from core's stepScoresFromLnR (probeStepScores). */
  scores: ArrayLike<number>;
  stepToCells: StepToCells;
  /** Single-pixel flip dL [T] (optional). */
  singleFlip?: ArrayLike<number> | null;
}

/**
 * Precomputed lookup tables for hover: cell -> step, ranks, running FTLE_1. Built once per data
 * change so the pointer handler only does index arithmetic.
 */
export class HeatmapLookup {
  readonly cellToStep: Int32Array;
  readonly ranks: Int32Array;
  readonly ftle1: Float64Array;

  constructor(readonly data: HeatmapData) {
    this.cellToStep = cellToStepOf(data.stepToCells, data.S);
    this.ranks = stepRanks(data.scores, data.T);
    this.ftle1 = runningFtle(data.lnR, data.T, data.k, 0);
  }

  /** Hover information for the cell at (row, col), or null when no step feeds it. `shown` = ln r's listed. */
  describe(row: number, col: number, shown = 3): HoverInfo | null {
    const { S, k, T, pixels, lnR, scores, singleFlip } = this.data;
    if (row < 0 || col < 0 || row >= S || col >= S) return null;
    const step = this.cellToStep[row * S + col];
    if (step < 0) return null;
    const m = Math.min(k, shown);
    const lr: number[] = [];
    for (let i = 0; i < m; i++) lr.push(lnR[step * k + i]);
    return {
      row,
      col,
      step,
      pixel: pixels[row * S + col],
      score: scores[step],
      lnR: lr,
      ftle1: this.ftle1[step],
      rank: this.ranks[step],
      T,
      flipDL: singleFlip ? singleFlip[step] : NaN,
    };
  }
}

/** Tooltip lines for a hover (first line contains "t=<step 1-based>", last "flip dL=<value>"). */
export function tooltipLines(info: HoverInfo, fmt: (v: number) => string, n: number): string[] {
  const lr = info.lnR.map((v, i) => `ln r${i + 1}=${fmt(v)}`).join(' ');
  return [
    `row ${info.row}, col ${info.col}, t=${info.step + 1}`,
    `pixel ${fmt(info.pixel)}`,
    `s_t(${n})=${fmt(info.score)}  rank ${info.rank}/${info.T}`,
    lr,
    `FTLE1(t)=${fmt(info.ftle1)}`,
    `flip dL=${fmt(info.flipDL)}`,
  ];
}

/**
 * Draws an S x S RGBA buffer into a canvas at 1 canvas pixel per cell (CSS scales it up).
 * Returns false when the canvas has no 2D context (jsdom, exhausted contexts).
 */
export function drawRgbaToCanvas(canvas: HTMLCanvasElement, rgba: Uint8ClampedArray, S: number): boolean {
  if (canvas.width !== S) canvas.width = S;
  if (canvas.height !== S) canvas.height = S;
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext('2d');
  } catch {
    ctx = null;
  }
  if (!ctx) return false;
  const img = ctx.createImageData(S, S);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
  return true;
}

/**
 * Renderer entry point: draws the s_t(n) heatmap of `data` into `canvas` with the 0-centred
 * domain [-halfWidth, halfWidth] (halfWidth defaults to this probe's max |s_t|). Returns the
 * RGBA buffer it drew (also when the canvas has no context).
 */
export function renderPixelHeatmap(
  canvas: HTMLCanvasElement,
  data: HeatmapData,
  options: { halfWidth?: number; cellToStep?: Int32Array } = {},
): Uint8ClampedArray {
  const cellToStep = options.cellToStep ?? cellToStepOf(data.stepToCells, data.S);
  const rgba = heatmapRgba(cellToStep, data.scores, options.halfWidth ?? symmetricDomain(data.scores));
  drawRgbaToCanvas(canvas, rgba, data.S);
  return rgba;
}

/** Draws a digit [S*S] in [0, 1] into a canvas, 1 canvas pixel per image pixel. */
export function renderDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, S: number): Uint8ClampedArray {
  const rgba = digitRgba(pixels);
  drawRgbaToCanvas(canvas, rgba, S);
  return rgba;
}

/** Unique gradient ids when several legends share a page. */
let legendCounter = 0;

/**
 * Draws the colour key of the heatmap: a horizontal RdBu gradient (`rect.legend-ramp`) from
 * -halfWidth to +halfWidth with ticks at -h, 0, +h and a unit label.
 */
export function renderDivergingLegend(svg: SVGSVGElement, halfWidth: number, label: string, width = 280): void {
  // Room below the tick labels for the label's descenders ("s_t(1)" lost its underscore at 44 px).
  const height = 54;
  const root = d3.select(svg);
  root.selectAll('*').remove();
  root.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`).attr('font-size', 12).attr('fill', '#1a1a1a');
  const id = `rdbu-legend-${++legendCounter}`;
  const grad = root.append('defs').append('linearGradient').attr('id', id).attr('x1', '0%').attr('x2', '100%');
  for (let j = 0; j <= 10; j++) {
    // Left = -h (blue), right = +h (red): the reverse of the ramp position.
    grad
      .append('stop')
      .attr('offset', `${j * 10}%`)
      .attr('stop-color', d3.interpolateRdBu(1 - j / 10));
  }
  // Half the widest end label ("-0.455" at 12 px is ~40 px) plus a margin, so its minus is not cut off.
  const pad = 30;
  const x = d3
    .scaleLinear()
    .domain([-halfWidth, halfWidth])
    .range([pad, width - pad]);
  root
    .append('rect')
    .attr('class', 'legend-ramp')
    .attr('x', pad)
    .attr('y', 2)
    .attr('width', width - 2 * pad)
    .attr('height', 12)
    .attr('fill', `url(#${id})`)
    .attr('stroke', '#888');
  const axis = root
    .append('g')
    .attr('transform', 'translate(0,14)')
    .call(d3.axisBottom(x).tickValues([-halfWidth, 0, halfWidth]).tickFormat(asciiFormat('.3~g')));
  axis.attr('font-size', 12).selectAll('text').attr('fill', '#1a1a1a');
  root
    .append('text')
    .attr('class', 'legend-label')
    .attr('x', width / 2)
    .attr('y', height - 6)
    .attr('text-anchor', 'middle')
    .attr('font-size', 12)
    .text(label);
}
