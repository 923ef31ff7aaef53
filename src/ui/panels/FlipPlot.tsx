/**
 * Flip test panel: mean dL vs k for every ranking with bootstrap bands and the random baseline,
 * a per-k table of the R-top statistics (paired Wilcoxon with Holm correction, and the paper's
 * uncorrected z test for comparison), every ranking against random, and a preview of the digit with
 * its top-k pixels (or rows, in the row-wise encoding) flipped.
 */
import { type ReactNode, type RefObject, useMemo, useState } from 'react';
import type { FlipSummary } from '../../core/snapshot';
import type { StepUnit } from '../../core/sensitivity/rankingNames';
import { compareRankingsWithRandom, flipVerdict, strongestControl } from '../../core/verdicts';
import { rankingLabel } from '../../core/sensitivity/rankingNames';
import { flipChartData, flipTable } from '../../core/transforms/flip';
import { renderFlipPlot } from '../renderers/flip';
import { FLIP_THRESHOLD, rankDescending } from '../../core/sensitivity/scores';
import { flipImageSteps, type StepToCells } from '../../data/encodings';
import { renderDigit } from '../renderers/heatmap';
import { formatNumber, formatP } from '../renderers/common';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';
import { useFittedWidth } from './useFittedWidth';

export interface FlipPlotProps {
  /** The selected epoch's flip summary (null: this epoch has no flip analysis, or it is still running). */
  flip: FlipSummary | null;
  /** While the epoch's flip stage runs: what the panel says instead (core/analysisPlan.ts pendingText). */
  pending?: string | null;
  /** The plan's cut of the flip test in words (core/analysisPlan.ts flipPlanNote), null when it is the paper's. */
  planNote?: string | null;
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
  /** Which data the exported figure shows, e.g. "epoch 3 · probe #2, a “7”". */
  caption?: string;
}

/** Flip chart + statistics table + flipped-digit preview. */
export function FlipPlot({
  flip,
  probe,
  pixels,
  stepToCells,
  S,
  previewK,
  onPreviewKChange,
  alpha = 0.05,
  unit = 'pixel',
  width: maxWidth = 560,
  caption,
  pending,
  planNote,
}: FlipPlotProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const verdict = useMemo(() => flipVerdict(flip, { alpha, unit }), [flip, alpha, unit]);
  const units = `${unit}s`;
  // Shown by default: the claim (R-top), the random band and the strongest control; the legend toggles the rest.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const control = useMemo(() => (flip ? strongestControl(flip) : null), [flip]);
  const hidden = useMemo(() => {
    if (!flip) return [];
    const defaultShown = new Set(['top', 'random', ...(control ? [control.name] : [])]);
    return [...Object.keys(flip.dL), 'random'].filter((name) => !(toggled[name] ?? defaultShown.has(name)));
  }, [flip, control, toggled]);
  const onToggle = (name: string) => setToggled((t) => ({ ...t, [name]: hidden.includes(name) }));
  const [tableRanking, setTableRanking] = useState('top');
  const chart = useMemo(() => (flip ? flipChartData(flip) : null), [flip]);
  const chartRef = useRenderer<SVGSVGElement>(
    (el) => {
      if (chart) renderFlipPlot(el, chart, { width, alpha, selectedK: previewK, hidden, onToggle, unit });
    },
    [chart, width, alpha, previewK, hidden, unit],
  );
  const shownRanking = flip?.dL[tableRanking] ? tableRanking : 'top';
  const rows = useMemo(() => (flip ? flipTable(flip, shownRanking) : []), [flip, shownRanking]);
  const comparisons = useMemo(() => (flip ? compareRankingsWithRandom(flip, alpha) : []), [flip, alpha]);
  const flipped = useMemo(() => {
    const scores = flip?.scores[probe];
    if (!scores || !pixels || !stepToCells || !S) return null;
    // The same ranking and flip rule the flip test used (core), so the preview is what was measured.
    const order = rankDescending(scores, scores.length).subarray(0, Math.min(previewK, scores.length));
    return flipImageSteps(pixels, order, stepToCells, S);
  }, [flip, probe, pixels, stepToCells, S, previewK]);
  const origRef = useRenderer<HTMLCanvasElement>(
    (el) => {
      if (pixels && S) renderDigit(el, pixels, S);
    },
    [pixels, S],
  );
  const flippedRef = useRenderer<HTMLCanvasElement>(
    (el) => {
      if (flipped && S) renderDigit(el, flipped, S);
    },
    [flipped, S],
  );

  const title = `Flip test: does R rank the ${units} that matter?`;
  const figureDetails = flip
    ? `${caption ? `${caption} · ` : ''}n=${flip.n}, ${flip.baseLoss.length} probes, ${flip.R} random draws (means over probes; the probe does not change this chart)`
    : '';
  return (
    <PanelFrame
      title={title}
      testId="flip-plot"
      // While the flip stage runs there is no verdict yet (not "no statistics"): the pending line says why.
      verdict={!flip && pending ? null : verdict}
      figure={{
        id: 'flip',
        name: `flip-plot-n${flip?.n}`,
        what: 'flip plot',
        ready: flip !== null,
        build: () => ({ details: figureDetails, plain: verdict.plain, note: verdict.text, parts: [chartRef.current] }),
      }}
      explanation={
        <>
          <p>
            For each probe the k {units} with the largest s_t(n) (R-top) are flipped (a pixel below {FLIP_THRESHOLD} becomes 1, any other
            becomes 0{unit === 'row' ? '; each time step reads a whole row of 28 pixels, so a row is flipped pixel by pixel' : ''}) and the
            change of the loss dL is measured. Lines are means over probes with bootstrap 95% bands; the grey dashed band is the random
            baseline (k random {units}, mean and 5–95% of draws). The controls are the smallest s_t (R-bottom), gradient saliency, the
            Taylor estimate, the last {units}, and random sets matched on flip direction and time. By default the chart shows R-top, random
            and the control that beats R-top most often; click a legend entry to show or hide a line.
          </p>
          <p>
            Filled markers: R-top beats random at that k in a paired Wilcoxon test after Holm correction across k. The first table compares
            every ranking with random; the second lists one ranking per k, with the paper's z test (uncorrected, treating random draws as
            independent) for R-top. Effect: the mean over probes of (dL of the ranking − mean dL of random) divided by its standard
            deviation.
          </p>
        </>
      }
    >
      {planNote ? (
        <p className="plan-note" data-testid="flip-plan-note">
          {planNote}
        </p>
      ) : null}
      {!flip ? (
        pending ? (
          <p className="viz-empty viz-pending" role="status" data-testid="flip-pending">
            {pending}
          </p>
        ) : (
          <EmptyState>No flip analysis for this epoch.</EmptyState>
        )
      ) : (
        <div ref={fitRef}>
          <svg ref={chartRef} className="viz-chart" role="img" aria-label={`Mean loss change against number of flipped ${units}`} />
          <div className="table-scroll">
            <table className="stats-table" data-testid="flip-comparison-table">
              <caption>Every ranking vs random: paired Wilcoxon per k, Holm-corrected across k (α = {alpha})</caption>
              <thead>
                <tr>
                  <th scope="col">ranking</th>
                  <th scope="col">k significant</th>
                  <th scope="col">smallest p (Holm)</th>
                  <th scope="col" title="mean over probes of (dL ranking − mean dL random) / its sd">
                    largest effect (sd)
                  </th>
                  <th scope="col">below random at</th>
                </tr>
              </thead>
              <tbody>
                {comparisons.map((c) => (
                  <tr key={c.name} className={c.significantK.length ? 'significant' : undefined}>
                    <th scope="row">{rankingLabel(c.name, unit)}</th>
                    <td>
                      {c.significantK.length} of {c.testedK}
                    </td>
                    <td>{c.minPHolmK >= 0 ? `${formatP(c.minPHolm)} (k=${c.minPHolmK})` : '–'}</td>
                    <td>{c.maxEffectK >= 0 ? `${formatNumber(c.maxEffect)} (k=${c.maxEffectK})` : '–'}</td>
                    <td>
                      {c.belowRandomK.length} of {flip.kList.length} k
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <label className="inline-control">
            Per-k table for{' '}
            <select
              value={shownRanking}
              aria-label="Ranking shown in the per-k table"
              onChange={(e) => setTableRanking(e.currentTarget.value)}
            >
              {Object.keys(flip.dL).map((name) => (
                <option key={name} value={name}>
                  {rankingLabel(name, unit)}
                </option>
              ))}
            </select>
          </label>
          <div className="table-scroll">
            <table className="stats-table" data-testid="flip-table">
              <caption>
                {rankingLabel(shownRanking, unit)} vs random, n={flip.n}, {flip.baseLoss.length} probes, {flip.R} random draws
                {flip.matchedDraws ? `, ${flip.matchedDraws} per matched baseline` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">k {units}</th>
                  <th scope="col">mean dL</th>
                  <th scope="col">mean dL random</th>
                  <th scope="col" title="mean over probes of (dL ranking − mean dL random) / its sd">
                    effect (paired diff / sd)
                  </th>
                  <th scope="col">Wilcoxon p</th>
                  <th scope="col">p (Holm)</th>
                  {shownRanking === 'top' ? <th scope="col">paper z p</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.k} className={r.wilcoxonPHolm < alpha ? 'significant' : undefined}>
                    <td>{r.k}</td>
                    <td>{formatNumber(r.meanRanking)}</td>
                    <td>{formatNumber(r.meanRandom)}</td>
                    <td>{formatNumber(r.effect)}</td>
                    <td>{formatP(r.wilcoxonP)}</td>
                    <td>
                      <strong>{formatP(r.wilcoxonPHolm)}</strong>
                    </td>
                    {shownRanking === 'top' ? <td>{formatP(r.zP)}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="flip-preview">
            <label>
              Preview k{' '}
              <select
                value={previewK}
                aria-label={`Number of flipped ${units} in the preview`}
                onChange={(e) => onPreviewKChange(Number(e.currentTarget.value))}
              >
                {flip.kList.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
            {pixels && S ? (
              <div className="flip-preview-images">
                <PreviewDigit canvasRef={origRef} S={S} label="Original digit">
                  original
                </PreviewDigit>
                <PreviewDigit canvasRef={flippedRef} S={S} label={`Digit with its top ${previewK} ${units} flipped`}>
                  R-top {previewK} {units} flipped
                </PreviewDigit>
              </div>
            ) : null}
          </div>
        </div>
      )}
    </PanelFrame>
  );
}

/** One digit of the flip preview: an S x S canvas shown at 112 px with crisp pixels, and its caption. */
function PreviewDigit({
  canvasRef,
  S,
  label,
  children,
}: {
  canvasRef: RefObject<HTMLCanvasElement | null>;
  S: number;
  label: string;
  children: ReactNode;
}) {
  return (
    <figure>
      <canvas
        ref={canvasRef}
        className="pixelated"
        width={S}
        height={S}
        style={{ width: 112, height: 112 }}
        role="img"
        aria-label={label}
      />
      <figcaption>{children}</figcaption>
    </figure>
  );
}
