/**
 * The panels' figures, for the "whole view" export: each mounted panel registers a builder that
 * returns its FigureSpec (title, epoch and probe, charts with legends) at export time.
 */
import { useEffect, useRef } from 'react';
import type { FigureSpec } from '../renderers/export';

const builders = new Map<string, () => FigureSpec | null>();

/** Registers `build` under `id` while the calling panel is mounted (the latest closure is used); a null id registers nothing. */
export function useFigure(id: string | null, build: () => FigureSpec | null): void {
  const ref = useRef(build);
  ref.current = build;
  useEffect(() => {
    if (id === null) return;
    builders.set(id, () => ref.current());
    return () => {
      builders.delete(id);
    };
  }, [id]);
}

/** Every registered panel's figure, in panel (mount) order; panels with nothing to show are left out. */
export function currentFigures(): FigureSpec[] {
  const out: FigureSpec[] = [];
  for (const build of builders.values()) {
    const f = build();
    if (f) out.push(f);
  }
  return out;
}
