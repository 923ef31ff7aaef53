/**
 * Common frame of every visualizer panel: a title, an optional action row (toggles, then the
 * figure's export buttons), the verdict, a collapsible "what am I looking at" explanation, then the
 * content. With a `figure` the frame also registers the panel in the whole-view export.
 */
import type { ReactNode } from 'react';
import type { Verdict } from '../../core/verdicts';
import type { FigureSpec } from '../renderers/export';
import { ExportButtons } from './ExportButtons';
import { useFigure } from './figures';

/** A panel's figure: its SVG/PNG buttons and its part of the whole-view export. */
export interface PanelFigure {
  /** Key in the whole-view export; the verdict line's test id is `verdict-<id>` unless verdictTestId says otherwise. */
  id: string;
  /** File name without extension, e.g. "flip-plot-n1". */
  name: string;
  /** What the buttons export, for their accessible names, e.g. "flip plot". */
  what: string;
  /** Whether there is anything to export now (no buttons, and no part in the whole view, while false). */
  ready: boolean;
  /** The figure at export time; its title is the panel's. */
  build: () => Omit<FigureSpec, 'title'>;
}

export interface PanelFrameProps {
  title: string;
  /** data-testid of the root <section>, when the panel's testid belongs on its root. */
  testId?: string;
  /** Short explanation shown in a collapsible <details>. */
  explanation: ReactNode;
  /** Controls shown next to the title. */
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  /** One-line verdict computed from the panel's statistics (src/core/verdicts.ts), shown under the title. */
  verdict?: Verdict | null;
  /** data-testid of the verdict line (default `verdict-<figure.id>`). */
  verdictTestId?: string;
  figure?: PanelFigure;
}

/** Panel frame: <section aria-label=title> with heading, actions, <details> explanation and body. */
export function PanelFrame({ title, testId, explanation, actions, children, className, verdict, verdictTestId, figure }: PanelFrameProps) {
  const buildFigure = (): FigureSpec | null => (figure?.ready ? { title, ...figure.build() } : null);
  useFigure(figure?.id ?? null, buildFigure);
  const exportButtons = figure?.ready ? <ExportButtons getFigure={buildFigure} name={figure.name} what={figure.what} /> : null;
  const verdictId = verdictTestId ?? (figure ? `verdict-${figure.id}` : undefined);
  return (
    <section className={`viz-panel ${className ?? ''}`.trim()} aria-label={title} data-testid={testId}>
      <header className="viz-panel-header">
        <h2 className="viz-panel-title">{title}</h2>
        {actions || exportButtons ? (
          <div className="viz-panel-actions">
            {actions}
            {exportButtons}
          </div>
        ) : null}
      </header>
      {verdict ? (
        <p className="verdict-plain" data-testid={verdictId ? `${verdictId}-plain` : undefined}>
          {verdict.plain}
        </p>
      ) : null}
      {verdict ? (
        <p className={`verdict verdict-${verdict.kind}`} data-testid={verdictId} data-kind={verdict.kind} aria-live="polite">
          {verdict.text}
        </p>
      ) : null}
      <details className="viz-panel-help">
        <summary>What am I looking at?</summary>
        <div className="viz-panel-help-body">{explanation}</div>
      </details>
      <div className="viz-panel-body">{children}</div>
    </section>
  );
}

/** Placeholder body when a panel's data is not there yet (e.g. before the first analysed epoch). */
export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <p className="viz-empty" role="status">
      {children}
    </p>
  );
}

/**
 * A panel whose stage of the epoch's analysis has not arrived yet: its title and what it waits
 * for (core/analysisPlan.ts pendingText), so the workbench is never a blank page while it works.
 */
export function PendingPanel({ title, testId, text }: { title: string; testId: string; text: string }) {
  return (
    <section className="viz-panel viz-panel-pending" aria-label={title} data-testid={testId}>
      <header className="viz-panel-header">
        <h2 className="viz-panel-title">{title}</h2>
      </header>
      <div className="viz-panel-body">
        <p className="viz-empty viz-pending" role="status">
          {text}
        </p>
      </div>
    </section>
  );
}
