/**
 * "SVG" and "PNG" buttons exporting one panel (see renderers/export.ts). With `getFigure` the file
 * is the panel's figure: title, epoch and probe, and its charts with their legends or colour key;
 * with only `getTarget` it is that one element (canvas targets export PNG only).
 */
import { useState } from 'react';
import { composeFigure, exportPng, exportSvg, type FigureSpec } from '../renderers/export';

export interface ExportButtonsProps {
  /** Returns the element to export at click time (null when not mounted). */
  getTarget?: () => SVGSVGElement | HTMLCanvasElement | null;
  /** Returns the panel's figure at click time (preferred over getTarget). */
  getFigure?: () => FigureSpec | null;
  /** File name without extension, e.g. "flip-plot-epoch-3". */
  name: string;
  /** Accessible description of what is exported, e.g. "flip plot". */
  what: string;
}

/** Two small buttons; export errors are shown inline (role=alert), not thrown. */
export function ExportButtons({ getTarget, getFigure, name, what }: ExportButtonsProps) {
  const [error, setError] = useState<string | null>(null);
  const target = (): SVGSVGElement | HTMLCanvasElement | null => {
    const spec = getFigure?.();
    if (spec) return composeFigure(spec);
    return getTarget?.() ?? null;
  };
  const onSvg = () => {
    const el = target();
    if (!el) return;
    if (el instanceof HTMLCanvasElement) {
      setError('SVG export: this panel is a raster image; use PNG');
      return;
    }
    setError(null);
    exportSvg(el, name);
  };
  const onPng = () => {
    const el = target();
    if (!el) return;
    setError(null);
    exportPng(el, name).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <span className="export-buttons">
      <button type="button" className="export-button" onClick={onSvg} aria-label={`Export ${what} as SVG`}>
        SVG
      </button>
      <button type="button" className="export-button" onClick={onPng} aria-label={`Export ${what} as PNG`}>
        PNG
      </button>
      {error ? (
        <span role="alert" className="export-error">
          {error}
        </span>
      ) : null}
    </span>
  );
}
