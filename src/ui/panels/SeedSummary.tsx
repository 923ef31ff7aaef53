/**
 * Claims across seeds (config `seeds` > 1): for the flip claim and the alignment claim, every
 * seed as a dot per epoch and the mean with its 95% interval, and the verdict across seeds
 * (core/seedSummary.ts, core/verdicts.ts seedsVerdict) at the newest epoch every seed has.
 */
import { useMemo } from 'react';
import { seedsVerdict } from '../../core/verdicts';
import { seedSummaryData, seedVerdictRow, type SeedSnapshots } from '../../core/transforms/seeds';
import { renderSeedStatistic } from '../renderers/seeds';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useFittedWidth } from './useFittedWidth';
import { useRenderer } from './useRenderer';

/** Where one background seed stands (the store's SeedRun, shown as a line). */
export interface SeedStatusLine {
  seed: number;
  status: 'queued' | 'running' | 'done' | 'stopped' | 'failed';
  progress: { what: string; fraction: number } | null;
  message?: string;
  epochs: number;
}

export interface SeedSummaryProps {
  /** Every seed's snapshots, the main run (seed_0) first. */
  runs: SeedSnapshots[];
  /** The background seeds' status, seed_1 first. */
  status: SeedStatusLine[];
  /** The run's epoch target. */
  epochs: number;
  width?: number;
}

export function SeedSummary({ runs, status, epochs, width: maxWidth = 560 }: SeedSummaryProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const data = useMemo(() => seedSummaryData(runs), [runs]);
  // The newest epoch every seed has analysed; before that, the newest epoch any seed has.
  const row = useMemo(() => seedVerdictRow(data.rows), [data]);
  const verdict = useMemo(() => seedsVerdict(row, runs.length), [row, runs.length]);
  const chartWidth = Math.max(240, Math.min(width, 560));
  const flipRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (data.flip.points.length) renderSeedStatistic(el, data.flip, { width: chartWidth, seeds: data.seeds });
    },
    [data, chartWidth],
  );
  const alignRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (data.alignment.points.length) renderSeedStatistic(el, data.alignment, { width: chartWidth, seeds: data.seeds });
    },
    [data, chartWidth],
  );
  const title = 'Do the claims hold across seeds?';
  return (
    <PanelFrame
      title={title}
      testId="seed-summary"
      verdict={verdict}
      figure={{
        id: 'seeds',
        name: 'seed-summary',
        what: 'seed summary',
        ready: data.rows.length > 0,
        build: () => ({
          details: `${runs.length} seeds (${data.seeds.join(', ')}); dots: one seed each; line and bars: mean and 95% t interval`,
          plain: verdict.plain,
          note: verdict.text,
          parts: [flipRef.current, alignRef.current],
        }),
      }}
      explanation={
        <>
          <p>
            The same configuration trained with {runs.length} seeds (seed, seed + 1, …; the panels above show the first). Each dot is one
            seed at one epoch (black: the first seed); the grey line and bars are the mean over seeds and its 95% t interval.
          </p>
          <p>
            Top: the flip test's effect, mean loss change of flipping the R-top steps minus the mean random flip, at the chosen k. Bottom:
            the paper's alignment statistic minus the strongest of its controls; above 0 means the alignment beats every control. The
            verdict counts the seeds whose Wilcoxon test of R-top &gt; random rejects after Holm across k, and gives the alignment gap as
            mean and interval.
          </p>
        </>
      }
    >
      <div ref={fitRef}>
        <ul className="seed-status" data-testid="seed-status">
          {status.map((s) => (
            <li key={s.seed} data-seed={s.seed} data-status={s.status}>
              seed {s.seed}:{' '}
              {s.status === 'running' && s.progress ? `${s.progress.what} (${Math.round(s.progress.fraction * 100)}%)` : s.status}
              {s.status === 'done' || s.status === 'running' ? '' : `, ${s.epochs} of ${epochs + 1} snapshots`}
              {s.message ? ` — ${s.message}` : ''}
            </li>
          ))}
        </ul>
        {data.rows.length === 0 ? (
          <EmptyState>No seed analysed yet.</EmptyState>
        ) : (
          (
            [
              [flipRef, data.flip, 'Flip test effect per seed over epochs', 'seed-flip'],
              [alignRef, data.alignment, 'Alignment minus its strongest control per seed over epochs', 'seed-alignment'],
            ] as const
          ).map(([ref, series, label, testId]) =>
            series.points.length ? (
              <svg key={testId} ref={ref} className="viz-chart" role="img" aria-label={label} data-testid={testId} />
            ) : null,
          )
        )}
      </div>
    </PanelFrame>
  );
}
