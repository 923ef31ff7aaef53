/**
 * Covariant Lyapunov vectors of the selected epoch and probe (method.md §9): the alignment
 * statistic with CLVs beside Q (a control for the paper's claim), and the angle between the first
 * two CLVs over time (near-tangencies). Numbers from core (clvPanelData); this panel only draws.
 */
import { useMemo } from 'react';
import { clvPanelData } from '../../core/dynamics/clvAnalysis';
import type { AlignmentSummary } from '../../core/snapshot';
import { renderClvAngle, renderClvStatistic } from '../renderers/clv';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';

export interface ClvPanelProps {
  alignment: AlignmentSummary | null;
  probe: number;
  caption?: string;
}

export function ClvPanel({ alignment, probe, caption }: ClvPanelProps) {
  const d = useMemo(() => clvPanelData(alignment, probe), [alignment, probe]);
  const statRef = useRenderer<SVGSVGElement>((el) => d && renderClvStatistic(el, d), [d]);
  const angleRef = useRenderer<SVGSVGElement>((el) => d && renderClvAngle(el, d), [d]);
  return (
    <PanelFrame
      title="Covariant Lyapunov vectors (control)"
      testId="clv-panel"
      explanation={
        <p>
          Q vectors depend on the order of the QR basis; covariant Lyapunov vectors (Ginelli et al. 2007) do not: each is carried onto
          itself by the dynamics. Left: the paper's alignment statistic with Q (solid) and with the first CLVs in their place (dashed),
          beside the random-direction null. Right: the angle between the first two CLVs along the selected probe — dips are near-tangencies,
          which orthogonal Q vectors cannot show. CLVs here are finite-time (the probe is short): equal to Q at the last step, and v1 = q1
          always. {caption ? `Showing ${caption}.` : ''}
        </p>
      }
    >
      {d ? (
        <>
          <p className="verdict" data-testid="clv-summary" data-min-angle={d.minFirstTwoDeg}>
            {d.summary}
          </p>
          <div className="chaos-charts">
            <svg ref={statRef} data-testid="clv-statistic-plot" role="img" aria-label="Alignment statistic with Q and with CLVs" />
            <svg ref={angleRef} data-testid="clv-angle-plot" role="img" aria-label="Angle between the first two CLVs over time" />
          </div>
          <p className="viz-note" data-testid="clv-vs-q">
            Mean angle of v_a to q_a (a = 1..{d.vsQDeg.length}): {d.vsQDeg.map((x) => `${x.toFixed(0)}°`).join(', ')}
          </p>
        </>
      ) : (
        <EmptyState>No CLVs for this epoch (an older file, or an LSTM whose h-blocks hold fewer than 10 directions).</EmptyState>
      )}
    </PanelFrame>
  );
}
