/**
 * Runs a renderer function on an element after every render whose dependencies changed: the
 * bridge between React (owns the element) and d3 (owns what is inside it).
 */
import { useEffect, useRef, type DependencyList, type RefObject } from 'react';

/**
 * Returns a ref for an SVG or canvas element; `draw(el)` is called after mount and whenever `deps`
 * change (never during render, so renderers may mutate the element freely).
 */
export function useRenderer<E extends Element>(draw: (el: E) => void, deps: DependencyList): RefObject<E | null> {
  const ref = useRef<E | null>(null);
  useEffect(() => {
    if (ref.current) draw(ref.current);
    // The caller lists the data the drawing depends on; `draw` is a fresh closure each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return ref;
}
