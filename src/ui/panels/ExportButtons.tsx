/**
 * "SVG" and "PNG" buttons exporting one panel's chart (see renderers/export.ts). SVG export is
 * offered only for SVG targets; canvas panels export PNG through toBlob.
 */
import { useState } from 'react';
import { exportPng, exportSvg } from '../renderers/export';

export interface ExportButtonsProps {
  /** Returns the element to export at click time (null when not mounted). */
  getTarget: () => SVGSVGElement | HTMLCanvasElement | null;
  /** File name without extension, e.g. "flip-plot-epoch-3". */
  name: string;
  /** Accessible description of what is exported, e.g. "flip plot". */
  what: string;
}

/** Two small buttons; export errors are shown inline (role=alert), not thrown. */
export function ExportButtons({ getTarget, name, what }: ExportButtonsProps) {
  const [error, setError] = useState<string | null>(null);
  const onSvg = () => {
    const el = getTarget();
    if (el && !(el instanceof HTMLCanvasElement)) {
      setError(null);
      exportSvg(el as SVGSVGElement, name);
    }
  };
  const onPng = () => {
    const el = getTarget();
    if (!el) return;
    setError(null);
    exportPng(el, name).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <span className="export-buttons">
      <button type="button" className="export-button" onClick={onSvg} aria-label={`Export ${what} as SVG`}>SVG</button>
      <button type="button" className="export-button" onClick={onPng} aria-label={`Export ${what} as PNG`}>PNG</button>
      {error ? <span role="alert" className="export-error">{error}</span> : null}
    </span>
  );
}
