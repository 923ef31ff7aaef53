/**
 * Flip test panel: mean dL vs k for every ranking with bootstrap bands and the random baseline,
 * a per-k table of the R-top statistics (paired Wilcoxon with Holm correction, and the paper's
 * uncorrected z test for comparison), and a preview of the digit with its top-k pixels flipped.
 */
import { useMemo } from 'react';
import type { FlipSummary } from '../../core/snapshot';
import type { StepUnit } from '../../core/sensitivity/rankingNames';
import { flipVerdict } from '../../core/verdicts';
import { flipTable, renderFlipPlot } from '../renderers/flip';
import { flipSteps, renderDigit, stepsByScoreDescending, type StepToCells } from '../renderers/heatmap';
import { formatNumber, formatP } from '../renderers/common';
import { ExportButtons } from './ExportButtons';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';

export interface FlipPlotProps {
  /** The selected epoch's flip summary (null: this epoch has no flip analysis). */
  flip: FlipSummary | null;
  /** Selected probe index b, for the preview. */
  probe: number;
  /** The probe's digit [S*S] in [0, 1] and the encoding's step -> cells map, for the preview. */
  pixels?: ArrayLike<number>;
  stepToCells?: StepToCells;
  S?: number;
  /** k of the preview (one of flip.kList). */
  previewK: number;
  onPreviewKChange: (k: number) => void;
  /** Significance level for the filled markers, default 0.05. */
  alpha?: number;
  /** What one step feeds: a pixel, or a row of S pixels (row-wise encoding). */
  unit?: StepUnit;
  width?: number;
}

/** Flip chart + statistics table + flipped-digit preview. */
export function FlipPlot({ flip, probe, pixels, stepToCells, S, previewK, onPreviewKChange, alpha = 0.05, unit = 'pixel', width = 560 }: FlipPlotProps) {
  const verdict = useMemo(() => flipVerdict(flip, { alpha, unit }), [flip, alpha, unit]);
  const chartRef = useRenderer<SVGSVGElement>((el) => { if (flip) renderFlipPlot(el, flip, { width, alpha, selectedK: previewK }); }, [flip, width, alpha, previewK]);
  const rows = useMemo(() => (flip ? flipTable(flip) : []), [flip]);
  const flipped = useMemo(() => {
    const scores = flip?.scores[probe];
    if (!scores || !pixels || !stepToCells || !S) return null;
    const order = stepsByScoreDescending(scores).subarray(0, Math.min(previewK, scores.length));
    return flipSteps(pixels, order, stepToCells, S);
  }, [flip, probe, pixels, stepToCells, S, previewK]);
  const origRef = useRenderer<HTMLCanvasElement>((el) => { if (pixels && S) renderDigit(el, pixels, S); }, [pixels, S]);
  const flippedRef = useRenderer<HTMLCanvasElement>((el) => { if (flipped && S) renderDigit(el, flipped, S); }, [flipped, S]);

  return (
    <PanelFrame
      title="Flip test: does R rank the pixels that matter?"
      testId="flip-plot"
      verdict={verdict}
      verdictTestId="verdict-flip"
      actions={flip ? <ExportButtons getTarget={() => chartRef.current} name={`flip-plot-n${flip.n}`} what="flip plot" /> : null}
      explanation={
        <>
          <p>
            For each probe the k pixels with the largest s_t(n) (R-top) are flipped (a pixel below 0.001 becomes 1, any
            other becomes 0) and the change of the loss dL is measured. Lines are means over probes with bootstrap 95%
            bands; the grey dashed band is the random baseline (k random pixels, mean and 5–95% of draws). Other lines
            are controls: the smallest s_t (R-bottom), gradient saliency, Taylor estimate, the last pixels, and random
            sets matched on flip direction and time.
          </p>
          <p>
            Filled markers: R-top beats random at that k in a paired Wilcoxon test after Holm correction across k. The
            paper's z test (uncorrected, treating random draws as independent) is listed for comparison.
          </p>
        </>
      }
    >
      {!flip ? (
        <EmptyState>No flip analysis for this epoch.</EmptyState>
      ) : (
        <>
          <svg ref={chartRef} className="viz-chart" role="img" aria-label="Mean loss change against number of flipped pixels" />
          <table className="stats-table">
            <caption>R-top vs random, n={flip.n}, {flip.baseLoss.length} probes, {flip.R} random draws{flip.matchedDraws ? `, ${flip.matchedDraws} per matched baseline` : ''}</caption>
            <thead>
              <tr><th scope="col">k</th><th scope="col">mean dL top</th><th scope="col">mean dL random</th><th scope="col">effect</th><th scope="col">Wilcoxon p</th><th scope="col">p (Holm)</th><th scope="col">paper z p</th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.k} className={r.wilcoxonPHolm < alpha ? 'significant' : undefined}>
                  <td>{r.k}</td><td>{formatNumber(r.meanTop)}</td><td>{formatNumber(r.meanRandom)}</td><td>{formatNumber(r.effect)}</td>
                  <td>{formatP(r.wilcoxonP)}</td><td><strong>{formatP(r.wilcoxonPHolm)}</strong></td><td>{formatP(r.zP)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="flip-preview">
            <label>
              Preview k{' '}
              <select value={previewK} aria-label="Number of flipped pixels in the preview" onChange={(e) => onPreviewKChange(Number(e.currentTarget.value))}>
                {flip.kList.map((k) => <option key={k} value={k}>{k}</option>)}
              </select>
            </label>
            {pixels && S ? (
              <div className="flip-preview-images">
                <figure><canvas ref={origRef} className="pixelated" width={S} height={S} style={{ width: 112, height: 112 }} role="img" aria-label="Original digit" /><figcaption>original</figcaption></figure>
                <figure><canvas ref={flippedRef} className="pixelated" width={S} height={S} style={{ width: 112, height: 112 }} role="img" aria-label={`Digit with its top ${previewK} pixels flipped`} /><figcaption>R-top {previewK} flipped</figcaption></figure>
              </div>
            ) : null}
          </div>
        </>
      )}
    </PanelFrame>
  );
}
