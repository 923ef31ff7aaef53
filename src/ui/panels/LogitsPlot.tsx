/**
 * The paper's Fig 4 for the selected probe: softmax of the original input against the R-top
 * flipped and a random-flipped input, k = FlipSummary.kFig pixels (rows, row-wise).
 */
import type { FlipSummary } from '../../core/snapshot';
import type { StepUnit } from '../../core/sensitivity/rankingNames';
import { renderLogitsPlot } from '../renderers/logits';
import { ExportButtons } from './ExportButtons';
import { useFigure } from './figures';
import { EmptyState, PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';
import { useFittedWidth } from './useFittedWidth';

export interface LogitsPlotProps {
  flip: FlipSummary | null;
  /** While the epoch's flip stage runs: what the panel says instead (core/analysisPlan.ts pendingText). */
  pending?: string | null;
  /** Selected probe index b. */
  probe: number;
  /** True class of the probe, outlined when given. */
  label?: number;
  width?: number;
  /** Which data the exported figure shows, e.g. "epoch 3 · probe #2, a “7”". */
  caption?: string;
  /** What one step feeds: a pixel, or a row (row-wise encoding). */
  unit?: StepUnit;
}

/** Grouped softmax bars (10 classes x original / R-flipped / random-flipped). */
export function LogitsPlot({ flip, probe, label, width: maxWidth = 480, caption, unit = 'pixel', pending }: LogitsPlotProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const has = !!flip && !!flip.softmaxOrig[probe] && !!flip.softmaxTop[probe] && !!flip.softmaxRand[probe];
  const ref = useRenderer<SVGSVGElement>(
    (el) => {
      if (flip && has)
        renderLogitsPlot(
          el,
          {
            original: flip.softmaxOrig[probe],
            rFlipped: flip.softmaxTop[probe],
            randomFlipped: flip.softmaxRand[probe],
            k: flip.kFig,
            label,
          },
          { width },
        );
    },
    [flip, probe, label, width, has],
  );
  const title = 'What the network predicts after flipping';
  const buildFigure = () =>
    has ? { title, details: `${caption ? `${caption} · ` : ''}k = ${flip!.kFig} ${unit}s flipped`, parts: [ref.current] } : null;
  useFigure('logits', buildFigure);
  return (
    <PanelFrame
      title={title}
      testId="logits-plot"
      actions={has ? <ExportButtons getFigure={buildFigure} name={`logits-probe-${probe}`} what="logits plot" /> : null}
      explanation={
        <p>
          Class probabilities for the original digit, the digit with its {flip?.kFig ?? 'k'} highest-s_t {unit}s flipped, and the digit with
          as many random {unit}s flipped. If R picks sensitive {unit}s, the R-flipped bars move away from the true class more than the
          random ones.
        </p>
      }
    >
      <div ref={fitRef}>
        {has ? (
          <svg ref={ref} className="viz-chart" role="img" aria-label={`Softmax of probe ${probe}: original, R-flipped, random-flipped`} />
        ) : (
          <EmptyState>{pending ?? 'No flip analysis for this epoch.'}</EmptyState>
        )}
      </div>
    </PanelFrame>
  );
}
