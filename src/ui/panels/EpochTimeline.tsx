/**
 * Epoch timeline: a range slider over the analysed epochs (data-testid="epoch-slider"), tiny
 * loss and accuracy sparklines above it, and a "follow live" toggle that keeps the selection on
 * the newest epoch while training runs.
 */
import type { KeyboardEvent } from 'react';
import { renderSparkline, type EpochPoint } from '../renderers/training';
import { OKABE_ITO } from '../renderers/common';
import { useRenderer } from './useRenderer';

export interface EpochTimelineProps {
  /** Per-epoch metrics in epoch order (one per available snapshot). */
  points: EpochPoint[];
  /** Currently selected epoch number (one of points[].epoch). */
  selectedEpoch: number;
  onSelectEpoch: (epoch: number) => void;
  /** True while the selection follows the newest epoch. */
  followLive: boolean;
  onFollowLiveChange: (follow: boolean) => void;
}

/** Index of the point whose epoch is `epoch`, or the last one. */
function indexOfEpoch(points: EpochPoint[], epoch: number): number {
  const i = points.findIndex((p) => p.epoch === epoch);
  return i >= 0 ? i : Math.max(0, points.length - 1);
}

/** Slider + sparklines + follow-live toggle. Arrow keys / Home / End move the selection. */
export function EpochTimeline({ points, selectedEpoch, onSelectEpoch, followLive, onFollowLiveChange }: EpochTimelineProps) {
  const n = points.length;
  const index = indexOfEpoch(points, selectedEpoch);
  const losses = points.map((p) => p.testLoss);
  const accs = points.map((p) => p.testAcc);
  const lossRef = useRenderer<SVGSVGElement>(
    (el) => renderSparkline(el, losses, { width: 140, height: 28, colour: OKABE_ITO[3], marked: index }),
    [points, index],
  );
  const accRef = useRenderer<SVGSVGElement>(
    (el) => renderSparkline(el, accs, { width: 140, height: 28, colour: OKABE_ITO[4], domain: [0, 1], marked: index }),
    [points, index],
  );

  const select = (i: number) => {
    const j = Math.max(0, Math.min(n - 1, i));
    if (n === 0) return;
    if (followLive && j !== n - 1) onFollowLiveChange(false);
    onSelectEpoch(points[j].epoch);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    // Handled here (not left to the browser) so every step goes through onSelectEpoch exactly once.
    const moves: Record<string, number> = {
      ArrowLeft: index - 1,
      ArrowDown: index - 1,
      ArrowRight: index + 1,
      ArrowUp: index + 1,
      Home: 0,
      End: n - 1,
    };
    if (e.key in moves) {
      e.preventDefault();
      select(moves[e.key]);
    }
  };
  const current = points[index];
  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group of a slider and charts, not a form
    <div className="epoch-timeline" role="group" aria-label="Epoch timeline">
      <div className="epoch-sparklines">
        <figure className="sparkline-figure">
          <svg ref={lossRef} role="img" aria-label="Test loss per epoch" />
          <figcaption>test loss {current && Number.isFinite(current.testLoss) ? current.testLoss.toFixed(3) : '–'}</figcaption>
        </figure>
        <figure className="sparkline-figure">
          <svg ref={accRef} role="img" aria-label="Test accuracy per epoch" />
          <figcaption>test acc {current && Number.isFinite(current.testAcc) ? `${(current.testAcc * 100).toFixed(1)}%` : '–'}</figcaption>
        </figure>
      </div>
      <div className="epoch-slider-row">
        <label className="epoch-slider-label">
          Epoch <output className="epoch-slider-value">{current ? current.epoch : '–'}</output>
          <input
            type="range"
            data-testid="epoch-slider"
            aria-label="Selected epoch"
            aria-valuetext={current ? `epoch ${current.epoch}` : 'no epoch'}
            min={0}
            max={Math.max(0, n - 1)}
            step={1}
            value={index}
            disabled={n === 0}
            onChange={(e) => select(Number(e.currentTarget.value))}
            onKeyDown={onKeyDown}
          />
        </label>
        <button
          type="button"
          className={`follow-live ${followLive ? 'is-on' : ''}`}
          aria-pressed={followLive}
          onClick={() => {
            const next = !followLive;
            onFollowLiveChange(next);
            if (next && n > 0) onSelectEpoch(points[n - 1].epoch);
          }}
        >
          {followLive ? '● Following live' : '○ Follow live'}
        </button>
      </div>
    </div>
  );
}
