/**
 * Export of a panel as SVG or PNG. Renderers write presentation attributes on the elements, so
 * the serialised SVG only needs its namespace, explicit size, a white background and the font
 * declaration inlined to look the same outside the page.
 */
import { FONT_FAMILY, FONT_SIZE, TEXT_COLOUR } from './common';
import { downloadBlob } from '../download';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Serialises an SVG element to a standalone document string: clones it, sets xmlns, width/height
 * (from the viewBox when missing), inserts a white background rect and a <style> with the font.
 */
export function serializeSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', SVG_NS);
  const vb = (svg.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const width = svg.getAttribute('width') ?? (vb.length === 4 ? String(vb[2]) : '600');
  const height = svg.getAttribute('height') ?? (vb.length === 4 ? String(vb[3]) : '400');
  clone.setAttribute('width', width);
  clone.setAttribute('height', height);
  const doc = clone.ownerDocument;
  const style = doc.createElementNS(SVG_NS, 'style');
  style.textContent = `text { font-family: ${FONT_FAMILY}; font-size: ${FONT_SIZE}px; fill: ${TEXT_COLOUR}; }`;
  const bg = doc.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('class', 'export-background');
  bg.setAttribute('x', '0');
  bg.setAttribute('y', '0');
  bg.setAttribute('width', width);
  bg.setAttribute('height', height);
  bg.setAttribute('fill', '#ffffff');
  clone.insertBefore(bg, clone.firstChild);
  clone.insertBefore(style, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

/** Downloads the SVG as `<name>.svg`. */
export function exportSvg(svg: SVGSVGElement, name: string): void {
  downloadBlob(new Blob([serializeSvg(svg)], { type: 'image/svg+xml;charset=utf-8' }), `${name}.svg`);
}

/**
 * Rasterises an SVG to a PNG blob at `scale` x its size (default 2 for crisp slides): draws the
 * serialised SVG through an <img> into a canvas.
 */
export function svgToPngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const text = serializeSvg(svg);
  const width = Number(svg.getAttribute('width')) || 600;
  const height = Number(svg.getAttribute('height')) || 400;
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      const ctx = canvas.getContext('2d');
      if (!ctx) {
        URL.revokeObjectURL(url);
        reject(new Error('PNG export: no 2D canvas context'));
        return;
      }
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export: canvas.toBlob returned null'))), 'image/png');
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('PNG export: the SVG could not be loaded as an image'));
    };
    img.src = url;
  });
}

/**
 * PNG blob of a canvas panel, upscaled by an integer factor without smoothing (heatmaps are drawn
 * at one canvas pixel per image cell, so a raw export would be 28 x 28 px).
 */
export function canvasToPngBlob(canvas: HTMLCanvasElement, scale = 16): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const out = document.createElement('canvas');
    out.width = canvas.width * scale;
    out.height = canvas.height * scale;
    const ctx = out.getContext('2d');
    if (!ctx) {
      reject(new Error('PNG export: no 2D canvas context'));
      return;
    }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(canvas, 0, 0, out.width, out.height);
    out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export: canvas.toBlob returned null'))), 'image/png');
  });
}

/** Downloads an SVG or canvas element as `<name>.png`. */
export async function exportPng(target: SVGSVGElement | HTMLCanvasElement, name: string): Promise<void> {
  const blob = target instanceof HTMLCanvasElement ? await canvasToPngBlob(target) : await svgToPngBlob(target);
  downloadBlob(blob, `${name}.png`);
}

/** What a figure export holds: a title, a line saying which data (epoch, probe, settings) and the charts, stacked. */
export interface FigureSpec {
  title: string;
  /** e.g. "epoch 3 · probe #2, a “7” · n = 1". */
  details: string;
  /** Charts (with their legends or colour keys) stacked top to bottom; null entries are skipped. */
  parts: (SVGSVGElement | null)[];
  /** The verdict's plain first sentence (Verdict.plain), printed in bold before the statistics line. */
  plain?: string;
  /** The panel's verdict with its statistics (Verdict.text), printed as the figure's caption line. */
  note?: string;
}

/** Width and height (px) of an SVG from its attributes, else its viewBox, else 600 x 400. */
function svgSize(svg: SVGSVGElement): { width: number; height: number } {
  const vb = (svg.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const width = Number(svg.getAttribute('width')) || (vb.length === 4 ? vb[2] : 600);
  const height = Number(svg.getAttribute('height')) || (vb.length === 4 ? vb[3] : 400);
  return { width, height };
}

/** Appends a <text> with the house font to `parent`. */
function figureText(parent: Element, text: string, x: number, y: number, size: number, weight?: string, className?: string): void {
  const t = parent.ownerDocument.createElementNS(SVG_NS, 'text');
  if (className) t.setAttribute('class', className);
  t.setAttribute('x', String(x));
  t.setAttribute('y', String(y));
  t.setAttribute('font-size', String(size));
  t.setAttribute('fill', TEXT_COLOUR);
  t.setAttribute('font-family', FONT_FAMILY);
  if (weight) t.setAttribute('font-weight', weight);
  t.textContent = text;
  parent.appendChild(t);
}

/** Places a copy of `svg` at (x, y) inside `parent` as a nested <svg> of the same size and viewBox. */
function nestSvg(parent: Element, svg: SVGSVGElement, x: number, y: number): { width: number; height: number } {
  const size = svgSize(svg);
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('x', String(x));
  copy.setAttribute('y', String(y));
  copy.setAttribute('width', String(size.width));
  copy.setAttribute('height', String(size.height));
  if (!copy.getAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${size.width} ${size.height}`);
  // Screen-only attributes have no meaning in a file.
  copy.removeAttribute('class');
  copy.removeAttribute('style');
  parent.appendChild(copy);
  return size;
}

/** Splits `text` into lines of at most `maxChars` characters at spaces (a longer word gets its own line). */
export function wrapWords(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A standalone figure: the title (16 px, bold), the details line, the verdict's plain sentence
 * (bold) and the note (its statistics; bold when there is no plain sentence), each wrapped to the
 * width of the widest chart, then the parts stacked with 8 px gaps, in one new SVG element (not attached to the page) sized to fit. Nested charts keep their own coordinates
 * as <svg x y> children, so they stay vector.
 */
export function composeFigure(spec: FigureSpec): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('class', 'figure');
  const pad = 12;
  const parts = spec.parts.filter((p): p is SVGSVGElement => p !== null);
  const width = Math.max(360, ...parts.map((p) => svgSize(p).width + 2 * pad));
  // ~0.6 em per character at 12 px, as the legends estimate.
  const maxChars = Math.max(30, Math.floor((width - 2 * pad) / (FONT_SIZE * 0.6)));
  let y = pad + 14;
  for (const line of wrapWords(spec.title, Math.floor(maxChars * 0.75))) {
    figureText(svg, line, pad, y, 16, '600');
    y += 20;
  }
  for (const line of wrapWords(spec.details, maxChars)) {
    figureText(svg, line, pad, y, FONT_SIZE);
    y += 16;
  }
  // The plain sentence first, as the panel shows it: a reader of the slide gets the finding
  // before the statistics that back it.
  if (spec.plain) {
    for (const line of wrapWords(spec.plain, maxChars)) {
      figureText(svg, line, pad, y, FONT_SIZE, '600', 'figure-plain');
      y += 16;
    }
  }
  if (spec.note) {
    for (const line of wrapWords(spec.note, maxChars)) {
      figureText(svg, line, pad, y, FONT_SIZE, spec.plain ? undefined : '600', 'figure-note');
      y += 16;
    }
  }
  y += 4;
  for (const part of parts) {
    const size = nestSvg(svg, part, pad, y);
    y += size.height + 8;
  }
  const height = Math.ceil(y + pad - 8);
  svg.setAttribute('width', String(Math.ceil(width)));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${height}`);
  return svg;
}

/**
 * The whole view as one SVG: every panel's figure (composeFigure) laid out in `columns` columns,
 * row by row, each row as tall as its tallest figure, under an overall title.
 */
export function composeFigureGrid(title: string, specs: FigureSpec[], columns = 3): SVGSVGElement {
  const figures = specs.map(composeFigure);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('class', 'figure-grid');
  const pad = 12;
  figureText(svg, title, pad, pad + 16, 18, '600');
  let y = pad + 30;
  let width = 0;
  for (let r = 0; r < figures.length; r += columns) {
    const row = figures.slice(r, r + columns);
    let x = pad;
    let rowHeight = 0;
    for (const f of row) {
      const size = nestSvg(svg, f, x, y);
      x += size.width + pad;
      rowHeight = Math.max(rowHeight, size.height);
    }
    width = Math.max(width, x);
    y += rowHeight + pad;
  }
  svg.setAttribute('width', String(Math.ceil(width)));
  svg.setAttribute('height', String(Math.ceil(y)));
  svg.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(y)}`);
  return svg;
}
