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

const PATH_SELECTOR =
  'path[class^="series"], path[class*=" series-"], path[class^="band"], path.spectrum-mean, path.spectrum-band, path.halo';
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

/**
 * Running tweens per chart. Driven by d3.timer directly rather than selection.transition():
 * the production build tree-shakes d3-transition's patch of the selection prototype away.
 */
const running = new WeakMap<SVGSVGElement, d3.Timer>();

/** Stops the running tween of `svg` (before it is redrawn); its marks stay where they had got to. */
export function interruptShapes(svg: SVGSVGElement): void {
  running.get(svg)?.stop();
  running.delete(svg);
}

/**
 * Tweens the freshly drawn marks of `svg` from the geometry in `before` to where the renderer put
 * them, over `duration` ms with a cubic ease-out. Paths tween only when both strings have the same
 * number of coordinates.
 */
export function tweenFromSnapshot(svg: SVGSVGElement, before: ShapeSnapshot, duration = TRANSITION_MS): void {
  interruptShapes(svg);
  const steps: ((u: number) => void)[] = [];
  svg.querySelectorAll(PATH_SELECTOR).forEach((p) => {
    const from = before.paths.get(keyOf(p));
    const to = p.getAttribute('d');
    if (!from || !to || from === to || numberCount(from) !== numberCount(to)) return;
    const at = d3.interpolateString(from, to);
    steps.push((u) => p.setAttribute('d', u >= 1 ? to : at(u)));
  });
  svg.querySelectorAll(DOT_SELECTOR).forEach((c) => {
    const group = c.parentElement;
    const i = group ? Array.prototype.indexOf.call(group.children, c) : 0;
    const from = before.dots.get(`${keyOf(group ?? c)}#${i}`);
    if (!from) return;
    const cx = Number(c.getAttribute('cx'));
    const cy = Number(c.getAttribute('cy'));
    if ((from[0] === cx && from[1] === cy) || !Number.isFinite(from[0]) || !Number.isFinite(from[1])) return;
    steps.push((u) => {
      c.setAttribute('cx', String(from[0] + (cx - from[0]) * u));
      c.setAttribute('cy', String(from[1] + (cy - from[1]) * u));
    });
  });
  if (steps.length === 0) return;
  for (const step of steps) step(0);
  const timer = d3.timer((elapsed) => {
    const t = Math.min(1, elapsed / duration);
    const u = d3.easeCubicOut(t);
    for (const step of steps) step(t >= 1 ? 1 : u);
    if (t >= 1) {
      timer.stop();
      running.delete(svg);
    }
  });
  running.set(svg, timer);
}
