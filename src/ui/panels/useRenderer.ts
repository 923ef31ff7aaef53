/**
 * Runs a renderer function on an element after every render whose dependencies changed: the
 * bridge between React (owns the element) and d3 (owns what is inside it).
 *
 * When a new epoch snapshot arrives every panel redraws at once; drawn in one go that is one
 * 60-70 ms main-thread task (measured while training). With deferred rendering on (the app turns it
 * on; unit tests keep it off so they can read the DOM right away) each redraw runs in its own task,
 * queued behind input events, and a redraw superseded before it ran is dropped.
 */
import { useEffect, useRef, type DependencyList, type RefObject } from 'react';
import { interruptShapes, snapshotShapes, tweenFromSnapshot } from '../renderers/transitions';

let deferRedraws = false;
const queue = new Map<object, () => void>();
let pumping = false;
let channel: MessageChannel | null = null;

/** Draw redraws in separate tasks (app) or synchronously in the effect (default, tests). */
export function setDeferredRendering(on: boolean): void {
  deferRedraws = on;
}

let idleWaiters: (() => void)[] = [];

/** Resolves when no redraw is queued (measurements: "scrubbing redraws all panels within ..."). */
export function whenRedrawsIdle(): Promise<void> {
  if (!pumping) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

function pump(): void {
  const next = queue.entries().next();
  if (next.done) {
    pumping = false;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
    return;
  }
  const [key, draw] = next.value;
  queue.delete(key);
  draw();
  channel!.port2.postMessage(null);
}

function schedule(key: object, draw: () => void): void {
  queue.set(key, draw);
  if (pumping) return;
  pumping = true;
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = pump;
  }
  channel.port2.postMessage(null);
}

/**
 * Draws an SVG chart so that its lines and dots glide from where they were (renderers/transitions.ts);
 * canvases, and users who ask for reduced motion, get the plain redraw.
 */
function drawSmoothly<E extends Element>(el: E, draw: (el: E) => void): void {
  const reduce = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (!(el instanceof SVGSVGElement) || reduce || el.childElementCount === 0) {
    draw(el);
    return;
  }
  interruptShapes(el);
  const before = snapshotShapes(el);
  draw(el);
  tweenFromSnapshot(el, before);
}

/**
 * Returns a ref for an SVG or canvas element; `draw(el)` is called after mount and whenever `deps`
 * change (never during render, so renderers may mutate the element freely).
 */
export function useRenderer<E extends Element>(draw: (el: E) => void, deps: DependencyList): RefObject<E | null> {
  const ref = useRef<E | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (deferRedraws) schedule(el, () => drawSmoothly(el, draw));
    else draw(el);
    // The caller lists the data the drawing depends on; `draw` is a fresh closure each render.
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps are the dependency list
  }, deps);
  return ref;
}
