/**
 * Common frame of every visualizer panel: a title, an optional action row (export buttons,
 * toggles), a collapsible "what am I looking at" explanation, then the content.
 */
import type { ReactNode } from 'react';
import type { Verdict } from '../../core/verdicts';

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
  /** data-testid of the verdict line. */
  verdictTestId?: string;
}

/** Panel frame: <section aria-label=title> with heading, actions, <details> explanation and body. */
export function PanelFrame({ title, testId, explanation, actions, children, className, verdict, verdictTestId }: PanelFrameProps) {
  return (
    <section className={`viz-panel ${className ?? ''}`.trim()} aria-label={title} data-testid={testId}>
      <header className="viz-panel-header">
        <h2 className="viz-panel-title">{title}</h2>
        {actions ? <div className="viz-panel-actions">{actions}</div> : null}
      </header>
      {verdict ? (
        <p className="verdict-plain" data-testid={verdictTestId ? `${verdictTestId}-plain` : undefined}>
          {verdict.plain}
        </p>
      ) : null}
      {verdict ? (
        <p className={`verdict verdict-${verdict.kind}`} data-testid={verdictTestId} data-kind={verdict.kind} aria-live="polite">
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
