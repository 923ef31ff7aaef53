/**
 * Pixel heatmap: the per-step expansion score s_t(n) of one probe drawn at the pixels each step
 * feeds (image coordinates, whatever the sequence order), beside the digit itself. Hovering shows
 * a tooltip (data-testid="heatmap-tooltip") and reports the step through onHoverStep.
 *
 * The hover path is allocation-light: lookup tables are built once per data change
 * (HeatmapLookup) and the tooltip's DOM is updated directly through a ref, without a React
 * re-render per mouse move.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import {
  HeatmapLookup,
  digitRgba,
  heatmapRgba,
  pointerToCell,
  renderDigit,
  renderDivergingLegend,
  renderPixelHeatmap,
  tooltipLines,
  drawRgbaToCanvas,
  type HoverInfo,
  type StepToCells,
} from '../renderers/heatmap';
import { probeStepScores, symmetricDomain } from '../../core/transforms/heatmap';
import { cellsBounds, cellsSvg, inkOverlayRgba } from '../renderers/heatmapLayers';
import { formatNumber } from '../renderers/common';
import { ExportButtons } from './ExportButtons';
import { useFigure } from './figures';
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
  /** Displayed side of the heatmap in CSS px (default 280; narrower panels shrink it). */
  size?: number;
  /** Probe label (true class) for the caption. */
  label?: number;
  /** Which data the exported figure shows, e.g. "epoch 3 · probe #2, a “7”". */
  caption?: string;
  /**
   * Why the single-pixel readout is missing, in words (core/analysisPlan.ts): the plan's cut
   * ("single-pixel map skipped: CPU budget") or the flip stage still running. Null: nothing to say.
   */
  singleNote?: string | null;
}

/** Tooltip lines for a cell; in the row-wise encoding the step is the whole row, and the text says so. */
function readout(info: HoverInfo, n: number, rowMode: boolean, S: number): string {
  const lines = tooltipLines(info, formatNumber, n);
  if (rowMode) {
    lines[0] = `row ${info.row} (all ${S} pixels), t=${info.step + 1}`;
    lines[1] = `pixel at col ${info.col}: ${formatNumber(info.pixel)}`;
    lines[lines.length - 1] = lines[lines.length - 1].replace('flip dL', 'row flip dL');
  }
  return lines.join('\n');
}

/** The s_t(n) heatmap with digit, colour key, n and normalisation controls, hover / keyboard / tap readout. */
export function PixelHeatmap(props: PixelHeatmapProps) {
  const { S, T, k, pixels, lnR, stepToCells, singleFlip, n, onNChange, normalization, onNormalizationChange, onHoverStep, label } = props;
  const size = props.size ?? 280;
  const rowMode = (stepToCells[0]?.length ?? 1) > 1;
  const [overlay, setOverlay] = useState(false);
  const scores = useMemo(() => probeStepScores(lnR, T, k, n), [lnR, T, k, n]);
  const lookup = useMemo(
    () => new HeatmapLookup({ S, T, k, pixels, lnR, scores, stepToCells, singleFlip }),
    [S, T, k, pixels, lnR, scores, stepToCells, singleFlip],
  );
  const halfWidth = normalization === 'probe' || !(props.halfWidth && props.halfWidth > 0) ? symmetricDomain(scores) : props.halfWidth;
  const legendLabel = `s_t(${n}), ln per step`;

  const heatRef = useRenderer<HTMLCanvasElement>(
    (el) => renderPixelHeatmap(el, lookup.data, { halfWidth, cellToStep: lookup.cellToStep }),
    [lookup, halfWidth],
  );
  const inkRef = useRenderer<HTMLCanvasElement>(
    (el) => {
      if (overlay) drawRgbaToCanvas(el, inkOverlayRgba(pixels), S);
    },
    [pixels, S, overlay],
  );
  const digitRef = useRenderer<HTMLCanvasElement>((el) => renderDigit(el, pixels, S), [pixels, S]);
  const legendRef = useRenderer<SVGSVGElement>(
    (el) => renderDivergingLegend(el, halfWidth, legendLabel, size),
    [halfWidth, legendLabel, size],
  );

  const tooltipRef = useRef<HTMLDivElement | null>(null);
  const outlineRef = useRef<HTMLDivElement | null>(null);
  const cursor = useRef<{ row: number; col: number } | null>(null);
  const pinned = useRef(false);
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
    if (outlineRef.current) outlineRef.current.hidden = true;
    report(null);
  };
  useEffect(() => () => hoverCb.current?.(null), []);

  /**
   * Shows the readout for cell (row, col): outlines the cells its step feeds and puts the tooltip
   * in the quarter of the heatmap farthest from the cell, inside the heatmap's box, so it covers
   * neither the inspected cell nor the digit beside (or below) the heatmap.
   */
  const show = (row: number, col: number) => {
    const info = lookup.describe(row, col);
    const tip = tooltipRef.current;
    if (!info || !tip) {
      hide();
      return;
    }
    tip.textContent = readout(info, n, rowMode, S);
    const top = row < S / 2;
    const left = col < S / 2;
    tip.style.top = top ? '' : '4px';
    tip.style.bottom = top ? '4px' : '';
    tip.style.left = left ? '' : '4px';
    tip.style.right = left ? '4px' : '';
    tip.hidden = false;
    const box = cellsBounds(stepToCells[info.step]);
    const outline = outlineRef.current;
    if (outline && box) {
      outline.style.left = `${(box.col0 / S) * 100}%`;
      outline.style.top = `${(box.row0 / S) * 100}%`;
      outline.style.width = `${((box.col1 - box.col0 + 1) / S) * 100}%`;
      outline.style.height = `${((box.row1 - box.row0 + 1) / S) * 100}%`;
      outline.hidden = false;
    }
    report(info.step);
  };

  const cellAt = (e: PointerEvent<HTMLElement>) => {
    const rect = (heatRef.current ?? e.currentTarget).getBoundingClientRect();
    return pointerToCell(e.clientX - rect.left, e.clientY - rect.top, rect.width, rect.height, S);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (e.pointerType === 'touch') return;
    const cell = cellAt(e);
    if (!cell) return hide();
    cursor.current = cell;
    show(cell.row, cell.col);
  };
  // Touch: a tap inspects a cell and the readout stays until the next tap or a tap outside.
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.pointerType !== 'touch') return;
    const cell = cellAt(e);
    if (!cell) return;
    pinned.current = true;
    cursor.current = cell;
    show(cell.row, cell.col);
  };
  const onPointerLeave = (e: PointerEvent<HTMLDivElement>) => {
    if (e.pointerType === 'touch' && pinned.current) return;
    hide();
  };
  // Keyboard: arrows move a cursor cell (Home / End: first / last column, Escape: hide).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const c = cursor.current ?? { row: Math.floor(S / 2), col: Math.floor(S / 2) };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    let next: { row: number; col: number } | null = null;
    if (moves[e.key])
      next = { row: Math.min(S - 1, Math.max(0, c.row + moves[e.key][0])), col: Math.min(S - 1, Math.max(0, c.col + moves[e.key][1])) };
    else if (e.key === 'Home') next = { row: c.row, col: 0 };
    else if (e.key === 'End') next = { row: c.row, col: S - 1 };
    else if (e.key === 'Escape') {
      hide();
      e.preventDefault();
      return;
    }
    if (!next) return;
    e.preventDefault();
    cursor.current = next;
    show(next.row, next.col);
  };
  const onFocus = () => {
    const c = cursor.current ?? { row: Math.floor(S / 2), col: Math.floor(S / 2) };
    cursor.current = c;
    show(c.row, c.col);
  };

  const figureDetails = `${props.caption ? `${props.caption} · ` : ''}s_t(${n}), colour scale: ${normalization === 'probe' ? 'this probe' : normalization === 'epoch' ? 'this epoch' : 'all epochs'}${overlay ? ' · digit overlaid' : ''}`;
  const title = rowMode ? 'Expansion per row s_t(n)' : 'Expansion per pixel s_t(n)';
  const buildFigure = () => ({
    title,
    details: figureDetails,
    parts: [
      cellsSvg(heatmapRgba(lookup.cellToStep, scores, halfWidth), S, {
        cellPx: Math.max(4, Math.round(280 / S)),
        ink: overlay ? pixels : null,
        label: `s_t(${n}) heatmap`,
      }),
      cellsSvg(digitRgba(pixels), S, { cellPx: Math.max(2, Math.round(140 / S)), label: 'the probe digit', cellClass: 'digit-cell' }),
      legendRef.current,
    ],
  });
  useFigure('heatmap', buildFigure);

  const encodingNote = rowMode ? 'each row is one time step: the 28 pixels of a row share one value' : 'each pixel is one time step';
  return (
    <PanelFrame
      title={title}
      testId="heatmap-panel"
      actions={<ExportButtons getFigure={buildFigure} name={`pixel-heatmap-n${n}`} what="pixel heatmap" />}
      explanation={
        <>
          <p>
            Each cell shows s_t(n) = (1/n)·Σ<sub>i≤n</sub> ln r<sub>i</sub>(t), the log stretching of the first n Lyapunov directions during
            the time step t that reads this {rowMode ? 'row' : 'pixel'} ({encodingNote}). Red: the hidden state expands along those
            directions at that step; blue: it contracts. The paper's claim is that flipping the reddest
            {rowMode ? ' rows' : ' pixels'} changes the loss more than flipping random ones: see the flip plot.
          </p>
          <p>
            Hover a cell, tap it on a touch screen, or focus the heatmap (Tab) and move with the arrow keys for its time step, ln r values,
            running FTLE, rank and the loss change when that {rowMode ? 'row' : 'pixel'} alone is flipped. “Overlay digit” draws the digit's
            strokes on the heatmap.
          </p>
        </>
      }
    >
      {props.singleNote ? (
        <p className="plan-note" data-testid="single-plan-note">
          {props.singleNote}
        </p>
      ) : null}
      <div className="heatmap-controls">
        <label>
          n (ln r's averaged){' '}
          <input
            type="number"
            min={1}
            max={k}
            step={1}
            value={n}
            aria-label="Number of ln r values averaged (n)"
            onChange={(e) => {
              const v = Math.round(Number(e.currentTarget.value));
              if (v >= 1 && v <= k) onNChange(v);
            }}
          />
          <span className="muted"> of {k}</span>
        </label>
        <label>
          Colour scale{' '}
          <select
            value={normalization}
            aria-label="Colour normalisation"
            onChange={(e) => onNormalizationChange(e.currentTarget.value as HeatmapNormalization)}
          >
            <option value="probe">this probe</option>
            <option value="epoch">this epoch (all probes)</option>
            <option value="all">all epochs</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={overlay} data-testid="heatmap-overlay" onChange={(e) => setOverlay(e.currentTarget.checked)} />{' '}
          Overlay digit
        </label>
      </div>
      <div className="heatmap-row">
        {/* biome-ignore lint/a11y/useSemanticElements: an interactive canvas group, not a form */}
        <div
          className="heatmap-wrap"
          style={{ width: size }}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: interactive: arrow keys move the inspected cell (the keyboard twin of hover)
          tabIndex={0}
          role="group"
          aria-label={`Heatmap of s_t(${n}); arrow keys move the inspected cell`}
          data-testid="heatmap-focus"
          onPointerMove={onPointerMove}
          onPointerDown={onPointerDown}
          onPointerLeave={onPointerLeave}
          onKeyDown={onKeyDown}
          onFocus={onFocus}
          onBlur={hide}
        >
          <canvas
            ref={heatRef}
            data-testid="pixel-heatmap"
            className="pixelated heatmap-canvas"
            width={S}
            height={S}
            role="img"
            aria-label={`Heatmap of s_t(${n}) over the ${S} by ${S} image`}
          />
          {overlay ? (
            // biome-ignore lint/a11y/noAriaHiddenOnFocusable: a canvas without tabIndex is not focusable; the ink layer is decoration
            <canvas ref={inkRef} className="pixelated heatmap-ink" width={S} height={S} aria-hidden="true" data-testid="heatmap-ink" />
          ) : null}
          <div ref={outlineRef} className="heatmap-outline" data-testid="heatmap-outline" hidden />
          <div ref={tooltipRef} className="heatmap-tooltip" data-testid="heatmap-tooltip" role="tooltip" aria-live="polite" hidden />
        </div>
        <figure className="digit-figure">
          <canvas
            ref={digitRef}
            className="pixelated"
            width={S}
            height={S}
            style={{ width: size / 2, height: size / 2 }}
            role="img"
            aria-label="The probe digit"
          />
          <figcaption>digit{label !== undefined ? ` (label ${label})` : ''}</figcaption>
        </figure>
      </div>
      <svg ref={legendRef} className="heatmap-legend" role="img" aria-label="Colour key" />
    </PanelFrame>
  );
}
