/**
 * Drawing layers around the pixel heatmap (the heatmap's own maths stays in heatmap.ts and the
 * modules it imports): the digit's ink laid over the heatmap, the outline of the hovered step's
 * cells, and the heatmap as vector cells for SVG export.
 */
import type { ImageCell } from '../../data/encodings';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Opacity of full ink (pixel 1) in the overlay: dark enough to see the strokes, light enough to see the colours. */
export const INK_OPACITY = 0.55;

/**
 * RGBA buffer [S*S*4] of the digit's strokes for drawing over the heatmap: black with alpha
 * INK_OPACITY * intensity (pixels [S*S] in [0, 1]; blank pixels fully transparent).
 */
export function inkOverlayRgba(
  pixels: ArrayLike<number>,
  out: Uint8ClampedArray = new Uint8ClampedArray(pixels.length * 4),
): Uint8ClampedArray {
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.max(0, Math.min(1, pixels[i]));
    out[i * 4] = 0;
    out[i * 4 + 1] = 0;
    out[i * 4 + 2] = 0;
    out[i * 4 + 3] = Math.round(255 * INK_OPACITY * v);
  }
  return out;
}

/** Bounding box (inclusive rows and columns) of a step's cells, or null when it feeds none. */
export function cellsBounds(
  cells: ReadonlyArray<ImageCell> | undefined,
): { row0: number; col0: number; row1: number; col1: number } | null {
  if (!cells || cells.length === 0) return null;
  let row0 = Infinity;
  let col0 = Infinity;
  let row1 = -Infinity;
  let col1 = -Infinity;
  for (const [r, c] of cells) {
    row0 = Math.min(row0, r);
    col0 = Math.min(col0, c);
    row1 = Math.max(row1, r);
    col1 = Math.max(col1, c);
  }
  return { row0, col0, row1, col1 };
}

/** Options of cellsSvg. */
export interface CellsSvgOptions {
  /** Side of one cell in px (default 10: a 28 x 28 image is 280 px). */
  cellPx?: number;
  /** Digit intensities [S*S] in [0, 1] to lay over the cells as ink (INK_OPACITY black), or null. */
  ink?: ArrayLike<number> | null;
  /** Accessible name of the image. */
  label?: string;
  /** Class of the cells (default "heat-cell"; the digit uses "digit-cell"). */
  cellClass?: string;
}

/**
 * The S x S RGBA buffer `rgba` (as drawn on the canvas) as a standalone SVG of `rect.heat-cell`
 * elements (or options.cellClass), one per cell (row-major, data-row / data-col), plus `rect.ink-cell` for every inked
 * pixel when `ink` is given. Vector, so it scales in a paper without blur.
 */
export function cellsSvg(rgba: Uint8ClampedArray, S: number, options: CellsSvgOptions = {}): SVGSVGElement {
  const px = options.cellPx ?? 10;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('width', String(S * px));
  svg.setAttribute('height', String(S * px));
  svg.setAttribute('viewBox', `0 0 ${S * px} ${S * px}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  if (options.label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', options.label);
  }
  const cell = (r: number, c: number, fill: string, cls: string, opacity?: number) => {
    const e = document.createElementNS(SVG_NS, 'rect');
    e.setAttribute('class', cls);
    e.setAttribute('x', String(c * px));
    e.setAttribute('y', String(r * px));
    e.setAttribute('width', String(px));
    e.setAttribute('height', String(px));
    e.setAttribute('fill', fill);
    if (opacity !== undefined) e.setAttribute('fill-opacity', opacity.toFixed(3));
    if (cls !== 'ink-cell') {
      e.setAttribute('data-row', String(r));
      e.setAttribute('data-col', String(c));
    }
    svg.appendChild(e);
  };
  for (let r = 0; r < S; r++) {
    for (let c = 0; c < S; c++) {
      const i = (r * S + c) * 4;
      cell(r, c, `rgb(${rgba[i]},${rgba[i + 1]},${rgba[i + 2]})`, options.cellClass ?? 'heat-cell');
    }
  }
  const ink = options.ink;
  if (ink) {
    for (let i = 0; i < S * S; i++) {
      const v = Math.max(0, Math.min(1, ink[i]));
      if (v > 0) cell(Math.floor(i / S), i % S, '#000000', 'ink-cell', INK_OPACITY * v);
    }
  }
  const frame = document.createElementNS(SVG_NS, 'rect');
  frame.setAttribute('x', '0.5');
  frame.setAttribute('y', '0.5');
  frame.setAttribute('width', String(S * px - 1));
  frame.setAttribute('height', String(S * px - 1));
  frame.setAttribute('fill', 'none');
  frame.setAttribute('stroke', '#bbbbbb');
  svg.appendChild(frame);
  return svg;
}
