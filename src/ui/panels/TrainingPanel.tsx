/**
 * Training progress: loss and accuracy per epoch (train and test) with the per-batch loss, and
 * runtime diagnostics (backend, renderer, precision, speed, analysis time, live tensors).
 */
import { renderTrainingCurves, type EpochPoint } from '../renderers/training';
import { formatNumber } from '../renderers/common';
import type { GpuCheckText } from '../../core/gpuCheckText';
import { ExportButtons } from './ExportButtons';
import { useFigure } from './figures';
import { PanelFrame } from './PanelFrame';
import { useRenderer } from './useRenderer';
import { useFittedWidth } from './useFittedWidth';

/** Runtime facts shown under the curves; any field may be unknown (undefined). */
export interface TrainingDiagnostics {
  /** Engine in use, in the badge's words ("CPU · WebAssembly SIMD"). */
  backend?: string;
  /** Engine that trained the selected epoch and on how many threads ("fast-wasm × 2 threads", core/engines.ts engineLabel); bit-for-bit reproducibility holds per engine and thread count. */
  engine?: string;
  /** WebGL renderer string (GPU or SwiftShader), when known. */
  renderer?: string;
  /** "float32" or "float16" (WebGL without float32 render targets). */
  precision?: string;
  /** Median ms per training step, latest epoch. */
  msPerStep?: number;
  /** Analysis (dynamics + flip) wall time of the latest snapshot, ms. */
  analysisMs?: number;
  /** tf.memory().numTensors. */
  numTensors?: number;
  /** Fraction of |h| > 0.99. */
  saturation?: number;
  /** Relative error of the Q/R gradient against BPTT. */
  qrGradRelErr?: number;
  /** A GPU-analysed epoch's float64 check in words (core/gpuCheckText.ts); absent on the CPU path. */
  gpuCheck?: GpuCheckText | null;
}

export interface TrainingPanelProps {
  points: EpochPoint[];
  /** Per-batch training loss so far (nats). */
  batchLoss?: ArrayLike<number>;
  batchesPerEpoch?: number;
  diagnostics: TrainingDiagnostics;
  width?: number;
  /** Which data the exported figure shows (run and epoch). */
  caption?: string;
}

/** Loss/accuracy curves + a definition list of diagnostics. */
export function TrainingPanel({ points, batchLoss, batchesPerEpoch, diagnostics: d, width: maxWidth = 560, caption }: TrainingPanelProps) {
  const [fitRef, width] = useFittedWidth(maxWidth);
  const ref = useRenderer<SVGSVGElement>(
    (el) => renderTrainingCurves(el, points, { batchLoss, batchesPerEpoch, width }),
    [points, batchLoss, batchesPerEpoch, width],
  );
  const fmt = (v: number | undefined, unit = '') => (v === undefined || !Number.isFinite(v) ? '–' : `${formatNumber(v)}${unit}`);
  const buildFigure = () => ({
    title: 'Training',
    details: `${caption ? `${caption} · ` : ''}${points.length} epochs shown${d.engine ? ` · trained by ${d.engine}` : ''}`,
    parts: [ref.current],
  });
  useFigure('training', buildFigure);
  return (
    <PanelFrame
      title="Training"
      className="training-panel"
      actions={<ExportButtons getFigure={buildFigure} name="training-curves" what="training curves" />}
      explanation={
        <p>
          Cross-entropy loss and accuracy after each epoch on the training digits (solid) and held-out test digits (dashed); the grey line
          is the loss of each mini-batch. Epoch 0 is the untrained network. The diagnostics say where the numbers were computed and how
          fast.
        </p>
      }
    >
      <div ref={fitRef}>
        <svg ref={ref} className="viz-chart" role="img" aria-label="Loss and accuracy per epoch" />
      </div>
      <dl className="diagnostics">
        <dt>backend</dt>
        <dd>{d.backend ?? '–'}</dd>
        <dt>trained by</dt>
        <dd data-testid="epoch-engine">{d.engine ?? '–'}</dd>
        <dt>renderer</dt>
        <dd>{d.renderer ?? '–'}</dd>
        <dt>precision</dt>
        <dd>{d.precision ?? '–'}</dd>
        <dt>ms / step</dt>
        <dd>{fmt(d.msPerStep, ' ms')}</dd>
        <dt>analysis</dt>
        <dd>{fmt(d.analysisMs, ' ms')}</dd>
        <dt>tensors</dt>
        <dd>{d.numTensors ?? '–'}</dd>
        <dt>saturation |h|&gt;0.99</dt>
        <dd>{d.saturation === undefined ? '–' : `${(d.saturation * 100).toFixed(1)}%`}</dd>
        <dt>Q/R vs BPTT grad error</dt>
        <dd>{fmt(d.qrGradRelErr)}</dd>
        {d.gpuCheck && (
          <>
            <dt title="Largest |GPU float32 - CPU float64| on one probe of this epoch (chosen from the run seed), and whether any flip-test verdict or Holm decision changes with that probe's float64 losses (docs/method.md §10)">
              {d.gpuCheck.label}
            </dt>
            <dd data-testid="gpu-check" data-differ={d.gpuCheck.differ ? '1' : '0'}>
              {d.gpuCheck.deviations}; <span className={d.gpuCheck.differ ? 'gpu-check-differ' : undefined}>{d.gpuCheck.decisions}</span>
            </dd>
          </>
        )}
      </dl>
    </PanelFrame>
  );
}
