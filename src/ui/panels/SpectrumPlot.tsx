/**
 * FTLE spectrum of the selected epoch (earlier epochs faded) and, for the selected probe, ln r_1(t)
 * and the running FTLE_1(t) with the heatmap's hovered step highlighted. ln / log2 toggle.
 */
import { useMemo } from 'react';
import { spectrumVerdict } from '../../core/verdicts';
import { probeSeries, spectrumChartData, type SpectrumEpoch } from '../../core/transforms/spectrum';
import { renderProbeSeries, renderSpectrumPlot } from '../renderers/spectrum';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';
import { useFittedWidth } from './useFittedWidth';

export interface SpectrumPlotProps {
  /** Spectrum [B][k] of every available epoch, in epoch order. */
  epochs: SpectrumEpoch[];
  selectedEpoch: number;
  /** Selected probe's ln r at the selected epoch, flat [T][k] (null if none). */
  probeLnR: ArrayLike<number> | null;
  T: number;
  k: number;
  probe: number;
  /** 0-based step hovered in the heatmap, or null. */
  hoveredStep: number | null;
  /** true: bits per step (log2); false: ln per step. */
  log2: boolean;
  onLog2Change: (log2: boolean) => void;
  width?: number;
  /** Which data the exported figure shows, e.g. "epoch 3 · probe #2, a “7”". */
  caption?: string;
}

/** Spectrum chart + per-probe time series + unit toggle. */
export function SpectrumPlot({
  epochs,
  selectedEpoch,
  probeLnR,
  T,
  k,
  probe,
  hoveredStep,
  log2,
  onLog2Change,
  width: maxWidth = 480,
  caption,
}: SpectrumPlotProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const selected = epochs.find((e) => e.epoch === selectedEpoch) ?? null;
  const verdict = useMemo(() => (selected ? spectrumVerdict(selected.spectrum, { probe, log2 }) : null), [selected, probe, log2]);
  const chart = useMemo(() => {
    const sel = epochs.find((e) => e.epoch === selectedEpoch);
    return sel
      ? spectrumChartData(
          sel,
          epochs.filter((e) => e.epoch < selectedEpoch),
        )
      : null;
  }, [epochs, selectedEpoch]);
  const series = useMemo(() => (probeLnR ? probeSeries(probeLnR, T, k) : null), [probeLnR, T, k]);
  const specRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (chart) renderSpectrumPlot(el, chart, { log2, width });
    },
    [chart, log2, width],
  );
  const seriesRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (series) renderProbeSeries(el, series, { log2, hoveredStep, width });
    },
    [series, log2, hoveredStep, width],
  );
  const title = 'Finite-time Lyapunov spectrum';
  return (
    <PanelFrame
      title={title}
      testId="spectrum-plot"
      verdict={verdict}
      figure={{
        id: 'spectrum',
        name: `spectrum-epoch-${selectedEpoch}`,
        what: 'spectrum',
        ready: selected !== null,
        build: () => ({
          details: `${caption ? `${caption} · ` : ''}${log2 ? 'bits' : 'ln'} per step; top: all probes, bottom: the selected probe`,
          plain: verdict?.plain,
          note: verdict?.text,
          parts: [specRef.current, seriesRef.current],
        }),
      }}
      actions={
        <button type="button" aria-pressed={log2} aria-label="Show exponents in bits per step (log2)" onClick={() => onLog2Change(!log2)}>
          {log2 ? 'bits/step' : 'ln/step'}
        </button>
      }
      explanation={
        <>
          <p>
            λ_i = (1/T)·Σ_t ln r_i(t): the average log stretching per step along the i-th Lyapunov direction over the whole sequence.
            Positive: perturbations grow (chaotic); negative: they shrink, and gradients through time vanish. The line is the mean over
            probe digits, the band their range; grey lines are earlier epochs.
          </p>
          <p>Below: for one probe, ln r_1 at each step and its running mean FTLE_1(t). Hover the heatmap to mark a step.</p>
        </>
      }
    >
      {!selected ? (
        <EmptyState>No spectrum for this epoch yet.</EmptyState>
      ) : (
        <div ref={fitRef}>
          <svg ref={specRef} className="viz-chart" role="img" aria-label={`Lyapunov spectrum at epoch ${selectedEpoch}`} />
          {probeLnR ? (
            <svg ref={seriesRef} className="viz-chart" role="img" aria-label={`ln r_1 and FTLE_1 over time for probe ${probe}`} />
          ) : null}
        </div>
      )}
    </PanelFrame>
  );
}
