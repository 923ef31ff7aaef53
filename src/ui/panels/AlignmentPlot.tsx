/**
 * Gradient-SVD alignment over training epochs (paper statistic and principal-angle overlaps,
 * each with its null and controls), plus the |cos| matrix of the selected epoch.
 */
import { useMemo } from 'react';
import { alignmentVerdict } from '../../core/verdicts';
import { alignmentSeries, type AlignmentEpoch } from '../../core/transforms/alignment';
import { renderAlignmentPlot, renderCosMatrix } from '../renderers/alignment';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';
import { useFittedWidth } from './useFittedWidth';

export interface AlignmentPlotProps {
  /** Every analysed epoch's alignment summary, in epoch order. */
  epochs: AlignmentEpoch[];
  selectedEpoch: number;
  /** Subspace size m shown (one of AlignmentSummary.m). */
  m: number;
  onMChange: (m: number) => void;
  /** Selected probe index b: the |cos| matrix is this probe's. */
  probe?: number;
  width?: number;
  /** Which data the exported figure shows, e.g. "epoch 3 · probe #2, a “7”". */
  caption?: string;
}

/** Two stacked charts over epochs + the selected epoch's |cos| matrix + the m selector. */
export function AlignmentPlot({ epochs, selectedEpoch, m, onMChange, probe = 0, width: maxWidth = 560, caption }: AlignmentPlotProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const series = useMemo(() => alignmentSeries(epochs, m), [epochs, m]);
  const selected = epochs.find((e) => e.epoch === selectedEpoch)?.alignment ?? null;
  const verdict = useMemo(() => (series.epochs.length ? alignmentVerdict(selected) : null), [series, selected]);
  const mChoices = epochs.find((e) => e.alignment)?.alignment?.m ?? [];
  const chartRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (series.epochs.length) renderAlignmentPlot(el, series, { width, selectedEpoch });
    },
    [series, width, selectedEpoch],
  );
  // Files from before per-probe matrices hold only probe 0's: then say whose matrix it is.
  const matrixProbe = selected?.cosMatrices?.[probe] ? probe : 0;
  const matrix = selected ? (selected.cosMatrices?.[probe] ?? selected.cosMatrix) : null;
  const matrixRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (matrix) renderCosMatrix(el, matrix);
    },
    [matrix],
  );
  const title = 'Do Lyapunov vectors align with the gradient?';
  return (
    <PanelFrame
      title={title}
      testId="alignment-plot"
      verdict={verdict}
      figure={{
        id: 'alignment',
        name: `alignment-m${series.m}`,
        what: 'alignment plot',
        ready: series.epochs.length > 0,
        build: () => ({
          details: `${caption ? `${caption} · ` : ''}m = ${series.m}; charts over epochs, |cos| matrix of probe #${matrixProbe + 1} at epoch ${selectedEpoch}`,
          plain: verdict?.plain,
          note: verdict?.text,
          parts: [chartRef.current, matrixRef.current],
        }),
      }}
      explanation={
        <>
          <p>
            Top chart: the paper's statistic, the spread (std) of cosines between the first 10 Q vectors and the first 5 right singular
            vectors of the gradient dL_t/dW_hh, averaged over analysed steps. Random directions give 1/√N (dotted line); the dashed lines
            are controls: 10 random Q indices among all N (the paper's baseline; the legend says when a large model drew them from fewer),
            the last 10 Q vectors (the most contracting directions), Q of another probe, and W_hh's own singular vectors.
          </p>
          <p>
            Middle chart: the mean cos² of the principal angles between the first m Q vectors and the first m singular vectors (left =
            adjoint side, right = input side); random subspaces give m/N. The thick line with white dots is the claim; dashed lines are
            controls. Below the charts: |cos(q_a, v_j)| for the selected probe at the last step of the selected epoch.
          </p>
        </>
      }
    >
      {series.epochs.length === 0 ? (
        <EmptyState>No alignment analysis yet.</EmptyState>
      ) : (
        <div ref={fitRef}>
          <label className="inline-control">
            Subspace size m{' '}
            <select
              value={series.m}
              aria-label="Subspace size m for the overlaps"
              onChange={(e) => onMChange(Number(e.currentTarget.value))}
            >
              {mChoices.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <div className="alignment-stack">
            <svg ref={chartRef} className="viz-chart" role="img" aria-label="Alignment statistics over epochs with nulls and controls" />
            <figure className="cos-matrix-figure" data-testid="cos-matrix" data-probe={matrixProbe}>
              {matrix ? (
                <svg
                  ref={matrixRef}
                  className="viz-chart"
                  role="img"
                  aria-label={`|cos| matrix of probe ${matrixProbe + 1} at epoch ${selectedEpoch}`}
                />
              ) : (
                <EmptyState>No alignment at epoch {selectedEpoch}.</EmptyState>
              )}
              <figcaption>
                |cos(q_a, v_j)|, probe #{matrixProbe + 1}, epoch {selectedEpoch}, last step
                {matrixProbe !== probe ? ' (this file stores only probe #1’s matrix)' : ''}
              </figcaption>
            </figure>
          </div>
        </div>
      )}
    </PanelFrame>
  );
}
