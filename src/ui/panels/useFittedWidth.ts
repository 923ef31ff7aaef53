/**
 * Charts drawn at the width their panel has: a chart drawn at 560 px and shrunk by CSS into a
 * 340 px phone panel would have 7 px text. Measures a wrapper element with a ResizeObserver and
 * returns min(max, its width), never below `min` (CSS max-width scales anything narrower).
 */
import { useEffect, useRef, useState, type RefObject } from 'react';

/** [ref for the wrapper element, the width to draw at in px]. Without ResizeObserver (jsdom): `max`. */
export function useFittedWidth(max: number, min = 280): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(max);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      // Whole multiples of 4 px: a scrollbar appearing or a sub-pixel change does not redraw every chart.
      if (w > 0) setWidth(Math.max(min, Math.min(max, w - (w % 4))));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [max, min]);
  return [ref, width];
}
