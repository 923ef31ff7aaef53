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
