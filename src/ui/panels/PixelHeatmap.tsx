/**
 * Pixel heatmap: the per-step expansion score s_t(n) of one probe drawn at the pixels each step
 * feeds (image coordinates, whatever the sequence order), beside the digit itself. Hovering shows
 * a tooltip (data-testid="heatmap-tooltip") and reports the step through onHoverStep.
 *
 * The hover path is allocation-light: lookup tables are built once per data change
 * (HeatmapLookup) and the tooltip's DOM is updated directly through a ref, without a React
 * re-render per mouse move.
 */
import { useEffect, useMemo, useRef, type PointerEvent } from 'react';
import {
  HeatmapLookup, pointerToCell, renderDigit, renderDivergingLegend, probeStepScores, renderPixelHeatmap, symmetricDomain,
  tooltipLines, type StepToCells,
} from '../renderers/heatmap';
import { formatNumber } from '../renderers/common';
import { ExportButtons } from './ExportButtons';
import { PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';

/** Which values fix the colour domain: this probe, every probe of this epoch, or every epoch. */
export type HeatmapNormalization = 'probe' | 'epoch' | 'all';

export interface PixelHeatmapProps {
  /** Image side S (28, or 14 for pixel14). */
  S: number;
  T: number;
  k: number;
  /** Digit intensities [S*S] in [0, 1], row-major. */
  pixels: ArrayLike<number>;
  /** The selected probe's ln r, flat [T][k], ln per step. */
  lnR: ArrayLike<number>;
  /** Cells fed by each step (from the data layer's SequenceSpec). */
  stepToCells: StepToCells;
  /** Single-pixel flip dL [T] of this probe (FlipSummary.singleFlip[b]), or null. */
  singleFlip?: ArrayLike<number> | null;
  /** Scores are s_t(n): mean of ln r_1..n (1 <= n <= k). */
  n: number;
  onNChange: (n: number) => void;
  normalization: HeatmapNormalization;
  onNormalizationChange: (mode: HeatmapNormalization) => void;
  /**
   * Half-width h of the colour domain [-h, h] for the 'epoch' / 'all' modes (the caller computes
   * it, e.g. with epochScoreHalfWidth); ignored for 'probe' (max |s_t| of this probe).
   */
  halfWidth?: number;
  /** Reports the hovered 0-based step, or null when the pointer leaves. */
  onHoverStep?: (step: number | null) => void;
  /** Displayed side of the heatmap in CSS px (default 280). */
  size?: number;
  /** Probe label (true class) for the caption. */
  label?: number;
}

/** The s_t(n) heatmap with digit, colour key, n and normalisation controls, and hover tooltip. */
export function PixelHeatmap(props: PixelHeatmapProps) {
  const { S, T, k, pixels, lnR, stepToCells, singleFlip, n, onNChange, normalization, onNormalizationChange, onHoverStep, label } = props;
  const size = props.size ?? 280;
  const scores = useMemo(() => probeStepScores(lnR, T, k, n), [lnR, T, k, n]);
  const lookup = useMemo(() => new HeatmapLookup({ S, T, k, pixels, lnR, scores, stepToCells, singleFlip }), [S, T, k, pixels, lnR, scores, stepToCells, singleFlip]);
  const halfWidth = normalization === 'probe' || !(props.halfWidth && props.halfWidth > 0) ? symmetricDomain(scores) : props.halfWidth;

  const heatRef = useRenderer<HTMLCanvasElement>((el) => renderPixelHeatmap(el, lookup.data, { halfWidth, cellToStep: lookup.cellToStep }), [lookup, halfWidth]);
  const digitRef = useRenderer<HTMLCanvasElement>((el) => renderDigit(el, pixels, S), [pixels, S]);
  const legendRef = useRenderer<SVGSVGElement>((el) => renderDivergingLegend(el, halfWidth, `s_t(${n}) ln per step`, size), [halfWidth, n, size]);

  const tooltipRef = useRef<HTMLDivElement | null>(null);
  const lastStep = useRef<number | null>(null);
  const hoverCb = useRef(onHoverStep);
  hoverCb.current = onHoverStep;

  const report = (step: number | null) => {
    if (lastStep.current !== step) {
      lastStep.current = step;
      hoverCb.current?.(step);
    }
  };
  const hide = () => {
    const tip = tooltipRef.current;
    if (tip) tip.hidden = true;
    report(null);
  };
  useEffect(() => () => hoverCb.current?.(null), []);

  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const cell = pointerToCell(x, y, rect.width, rect.height, S);
    const info = cell ? lookup.describe(cell.row, cell.col) : null;
    const tip = tooltipRef.current;
    if (!info || !tip) {
      hide();
      return;
    }
    tip.textContent = tooltipLines(info, formatNumber, n).join('\n');
    // Keep the tooltip inside the panel: flip to the left half when hovering the right half.
    tip.style.left = `${x < rect.width / 2 ? x + 14 : Math.max(0, x - 14 - 220)}px`;
    tip.style.top = `${y + 14}px`;
    tip.hidden = false;
    report(info.step);
  };

  const encodingNote = stepToCells[0] && stepToCells[0].length > 1 ? 'each row is one time step' : 'each pixel is one time step';
  return (
    <PanelFrame
      title="Expansion per pixel s_t(n)"
      actions={<ExportButtons getTarget={() => heatRef.current} name={`pixel-heatmap-n${n}`} what="pixel heatmap" />}
      explanation={
        <>
          <p>
            Each cell shows s_t(n) = (1/n)·Σ<sub>i≤n</sub> ln r<sub>i</sub>(t), the log stretching of the first n Lyapunov
            directions during the time step t that reads this pixel ({encodingNote}). Red: the hidden state expands
            along those directions at that step; blue: it contracts. The paper's claim is that flipping the reddest
            pixels changes the loss more than flipping random ones: see the flip plot.
          </p>
          <p>Hover a cell for its time step, ln r values, running FTLE, rank and the loss change when that pixel alone is flipped.</p>
        </>
      }
    >
      <div className="heatmap-controls">
        <label>
          n (ln r's averaged){' '}
          <input type="number" min={1} max={k} step={1} value={n} aria-label="Number of ln r values averaged (n)"
            onChange={(e) => { const v = Math.round(Number(e.currentTarget.value)); if (v >= 1 && v <= k) onNChange(v); }} />
          <span className="muted"> of {k}</span>
        </label>
        <label>
          Colour scale{' '}
          <select value={normalization} aria-label="Colour normalisation" onChange={(e) => onNormalizationChange(e.currentTarget.value as HeatmapNormalization)}>
            <option value="probe">this probe</option>
            <option value="epoch">this epoch (all probes)</option>
            <option value="all">all epochs</option>
          </select>
        </label>
      </div>
      <div className="heatmap-row">
        <div className="heatmap-wrap" style={{ width: size, height: size }} onPointerLeave={hide}>
          <canvas
            ref={heatRef}
            data-testid="pixel-heatmap"
            className="pixelated"
            width={S}
            height={S}
            style={{ width: size, height: size }}
            role="img"
            aria-label={`Heatmap of s_t(${n}) over the ${S} by ${S} image`}
            onPointerMove={onPointerMove}
            onPointerLeave={hide}
          />
          <div ref={tooltipRef} className="heatmap-tooltip" data-testid="heatmap-tooltip" role="tooltip" hidden />
        </div>
        <figure className="digit-figure">
          <canvas ref={digitRef} className="pixelated" width={S} height={S} style={{ width: size / 2, height: size / 2 }} role="img" aria-label="The probe digit" />
          <figcaption>digit{label !== undefined ? ` (label ${label})` : ''}</figcaption>
        </figure>
      </div>
      <svg ref={legendRef} className="heatmap-legend" role="img" aria-label="Colour key" />
    </PanelFrame>
  );
}
