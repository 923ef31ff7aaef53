/**
 * Smooth redraws when scrubbing epochs: renderers rebuild their SVG from scratch, so before a
 * redraw we note where each data line, band and dot was, and after it we tween them from there
 * to their new place (200 ms, ease-out). A redraw during a tween starts from wherever the tween
 * had got to (the attributes are read mid-flight) and interrupts it, so scrubbing never queues
 * animations. Elements are matched by class (and index within their group for dots); anything
 * new, or whose path has a different structure, simply appears.
 */
import * as d3 from 'd3';

/** Tween length, ms (the ceiling is 250). */
export const TRANSITION_MS = 200;

/** Positions noted before a redraw: path d by key, dot (cx, cy) by key. */
export interface ShapeSnapshot {
  paths: Map<string, string>;
  dots: Map<string, [number, number]>;
}

const PATH_SELECTOR = 'path[class^="series"], path[class*=" series-"], path[class^="band"], path.spectrum-mean, path.spectrum-band, path.halo';
const DOT_SELECTOR = 'g[class^="dots"] circle, g.spectrum-dots circle, g.top-markers circle';

/** Stable key of an element: its class list plus the enclosing panel group's class (two charts may share names). */
function keyOf(el: Element): string {
  const panel = el.closest('g.paper-panel, g.overlap-panel');
  return `${panel?.getAttribute('class') ?? ''}|${el.getAttribute('class') ?? ''}`;
}

/** Notes the current geometry of the data marks of `svg`. */
export function snapshotShapes(svg: SVGSVGElement): ShapeSnapshot {
  const paths = new Map<string, string>();
  const dots = new Map<string, [number, number]>();
  svg.querySelectorAll(PATH_SELECTOR).forEach((p) => {
    const d = p.getAttribute('d');
    if (d) paths.set(keyOf(p), d);
  });
  svg.querySelectorAll(DOT_SELECTOR).forEach((c) => {
    const group = c.parentElement;
    const i = group ? Array.prototype.indexOf.call(group.children, c) : 0;
    dots.set(`${keyOf(group ?? c)}#${i}`, [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
  });
  return { paths, dots };
}

/** Numbers in a path string, to check that two paths have the same structure. */
function numberCount(d: string): number {
  return (d.match(/-?[\d.]+(?:e[-+]?\d+)?/gi) ?? []).length;
}

/** Stops every running tween inside `svg` (before it is redrawn). */
export function interruptShapes(svg: SVGSVGElement): void {
  d3.select(svg).selectAll<Element, unknown>('*').interrupt();
}

/**
 * Tweens the freshly drawn marks of `svg` from the geometry in `before` to where the renderer put
 * them. Paths tween only when both strings have the same number of coordinates.
 */
export function tweenFromSnapshot(svg: SVGSVGElement, before: ShapeSnapshot, duration = TRANSITION_MS): void {
  svg.querySelectorAll(PATH_SELECTOR).forEach((p) => {
    const from = before.paths.get(keyOf(p));
    const to = p.getAttribute('d');
    if (!from || !to || from === to || numberCount(from) !== numberCount(to)) return;
    d3.select(p).attr('d', from).transition().duration(duration).ease(d3.easeCubicOut).attrTween('d', () => d3.interpolateString(from, to));
  });
  svg.querySelectorAll(DOT_SELECTOR).forEach((c) => {
    const group = c.parentElement;
    const i = group ? Array.prototype.indexOf.call(group.children, c) : 0;
    const from = before.dots.get(`${keyOf(group ?? c)}#${i}`);
    if (!from) return;
    const cx = Number(c.getAttribute('cx'));
    const cy = Number(c.getAttribute('cy'));
    if (from[0] === cx && from[1] === cy) return;
    d3.select(c).attr('cx', from[0]).attr('cy', from[1]).transition().duration(duration).ease(d3.easeCubicOut).attr('cx', cx).attr('cy', cy);
  });
}
