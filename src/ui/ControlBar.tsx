import { PRESETS, PRESET_CONFIGS, PRESET_LABELS, type Preset } from '../core/formats/config';
import { useState } from 'react';
import { engineBadgeText, engineTooltip } from '../core/engines';
import { applyConfig, resetRun, setPace, stepBatch, stepEpoch, toggleTraining, trainMoreEpochs } from '../app/controller';
import { useRunStore } from '../store/runStore';
import { analysisPlaceText, durationText, shownAnalysisEngine } from '../core/analysisPlan';
import { controlsFor } from '../run/lifecycle';

/** Slow-motion choices: ms of wait before each batch, and their labels. */
const SPEEDS: readonly (readonly [number, string])[] = [
  [0, 'full speed'],
  [250, 'slow (0.25 s / batch)'],
  [1000, 'slower (1 s / batch)'],
];

function formatAcc(a: number | undefined): string {
  return a === undefined || !Number.isFinite(a) ? '–' : `${(a * 100).toFixed(1)}%`;
}

/** Run controls and live status: preset, start/pause, one epoch, reset, backend, epoch, accuracy. */
export function ControlBar({ hidePreset = false }: { hidePreset?: boolean }) {
  const config = useRunStore((s) => s.config);
  const status = useRunStore((s) => s.status);
  const engineInfo = useRunStore((s) => s.engineInfo);
  const progress = useRunStore((s) => s.progress);
  const trainedEpoch = useRunStore((s) => s.trainedEpoch);
  const mode = useRunStore((s) => s.mode);
  const worker = useRunStore((s) => s.worker);
  const accuracyOn = useRunStore((s) => s.accuracyOn);
  const paceMs = useRunStore((s) => s.paceMs);
  const [more, setMore] = useState('5');
  const analysing = useRunStore((s) => s.analysing);
  const waiting = useRunStore((s) => Object.keys(s.pending).length);
  // Where the analysis runs: the engine the newest snapshot records, else the CPU pool.
  const analysisPlace = useRunStore((s) => analysisPlaceText(shownAnalysisEngine(s.epochs, s.partial), s.analysisWorkers));
  const latest = useRunStore((s) => {
    const snaps = s.epochs;
    const pendingEpochs = Object.keys(s.pending).map(Number);
    const lastPending = pendingEpochs.length ? Math.max(...pendingEpochs) : -1;
    const lastSnap = snaps.length ? snaps[snaps.length - 1] : undefined;
    if (lastSnap && lastSnap.epoch >= lastPending) return lastSnap.metrics;
    return lastPending >= 0 ? s.pending[lastPending] : undefined;
  });
  if (!config) return null;
  const midEpoch = (worker?.batch ?? 0) > 0;
  const controls = controlsFor(status, mode, midEpoch);
  const moreN = Number(more);
  const statusText =
    status === 'pausing'
      ? 'pausing…'
      : status === 'paused' && midEpoch && worker
        ? `paused in epoch ${worker.epoch + 1} at batch ${worker.batch} / ${worker.batches}`
        : mode === 'replay'
          ? 'replay'
          : mode === 'model' && status === 'done'
            ? 'imported model'
            : status;
  const accTitle =
    accuracyOn === null
      ? 'Test accuracy on the held-out test split'
      : accuracyOn.split === 'test'
        ? `The imported model's accuracy on the ${accuracyOn.count} digits of the bundled test split`
        : `The imported model's accuracy on the ${accuracyOn.count} probe digits only: its encoding does not say how the test split is fed to it`;
  return (
    <div className="control-bar" role="toolbar" aria-label="Run controls">
      {!hidePreset && (
        <label className="preset">
          <span>Preset</span>
          <select
            data-testid="preset-select"
            aria-label="Preset"
            value={config.preset}
            onChange={(e) => applyConfig({ ...PRESET_CONFIGS[e.target.value as Preset], seed: config.seed })}
          >
            {PRESETS.map((p) => (
              <option key={p} value={p}>
                {PRESET_LABELS[p]}
              </option>
            ))}
          </select>
        </label>
      )}
      {!hidePreset && (
        <button
          type="button"
          data-testid="chaos-link"
          title="An untrained random network: drag its gain g through the edge of chaos (method §8)"
          onClick={() => useRunStore.getState().set({ view: 'chaos' })}
        >
          Edge of chaos →
        </button>
      )}
      <button type="button" data-testid="train-toggle" className="primary" disabled={!controls.toggle} onClick={toggleTraining}>
        {controls.toggleLabel}
      </button>
      {[
        {
          id: 'step-epoch',
          enabled: controls.step,
          onClick: stepEpoch,
          title: midEpoch ? 'Finish the epoch in progress, then pause' : 'Train one epoch, then pause',
          label: midEpoch ? 'Finish this epoch' : 'Step one epoch',
        },
        {
          id: 'step-batch',
          enabled: controls.stepBatch,
          onClick: stepBatch,
          title: "Train one mini-batch, then pause: watch the loss and the worker's batch counter move one step",
          label: 'Step one batch',
        },
      ].map((b) => (
        <button key={b.id} type="button" data-testid={b.id} disabled={!b.enabled} onClick={b.onClick} title={b.title}>
          {b.label}
        </button>
      ))}
      <label className="slow-motion" title="Wait before each batch to watch training unfold; the numbers are the same at any speed">
        <span>Speed</span>
        <select data-testid="slow-motion" value={paceMs} onChange={(e) => setPace(Number(e.target.value))}>
          {SPEEDS.map(([ms, label]) => (
            <option key={ms} value={ms}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="button" data-testid="reset-run" disabled={!controls.reset} onClick={resetRun}>
        Reset
      </button>
      {controls.extend && (
        <span className="train-more">
          <button
            type="button"
            data-testid="train-more"
            disabled={!Number.isInteger(moreN) || moreN < 1}
            onClick={() => trainMoreEpochs(moreN)}
          >
            Train {Number.isInteger(moreN) && moreN > 0 ? moreN : 'N'} more epochs
          </button>
          <input
            type="number"
            min={1}
            max={1000}
            step={1}
            aria-label="How many more epochs"
            data-testid="train-more-count"
            value={more}
            onChange={(e) => setMore(e.target.value)}
          />
        </span>
      )}
      <span className="status" data-testid="run-status" data-state={status} data-mode={mode} aria-live="polite">
        {statusText}
        {progress && ` · ${progress.what} ${Math.round(progress.fraction * 100)}%`}
      </span>
      <span className="badge" data-testid="epoch-label">
        {mode === 'model'
          ? 'imported model'
          : mode === 'replay'
            ? `epoch ${trainedEpoch} (replay)`
            : `epoch ${trainedEpoch} / ${config.epochs}`}
      </span>
      <span className="badge" data-testid="test-accuracy" data-split={accuracyOn?.split ?? 'test'} title={accTitle}>
        {accuracyOn?.split === 'probes' ? `probe acc (${accuracyOn.count} digits)` : 'test acc'} {formatAcc(latest?.testAcc)}
      </span>
      {analysing && (
        <span
          className="badge analysing"
          data-testid="analysis-status"
          title="The analysis worker's progress on this epoch (float64 dynamics, alignment, flip test). Training does not wait for it; the epoch's panels fill as its stages arrive (spectrum and alignment first, then the flip test)."
        >
          analysing epoch {analysing.epoch} · {analysing.phase} {Math.round(analysing.fraction * 100)}%
          {analysing.etaMs != null && ` · about ${durationText(analysing.etaMs)} left`}
          {waiting > 1 && ` (+${waiting - 1} queued)`}
        </span>
      )}
      <span
        className="badge analysis-engine"
        data-testid="analysis-engine"
        title="Where each epoch's analysis runs (analysis= in the link: auto, gpu or cpu). The CPU path is float64; at large N and T it cuts the flip test's draws and the single-pixel map to its budget, and the panels concerned say so. The GPU path is float32 with the paper's full plan; one probe per epoch is checked in float64 (Training panel, 'GPU vs float64')."
      >
        analysis: {analysisPlace}
      </span>
      <span
        className="badge backend"
        data-testid="backend-badge"
        title={
          engineInfo
            ? engineTooltip(engineInfo)
            : mode === 'train'
              ? 'starting'
              : 'Nothing is trained: the analysis runs in float64 in a worker'
        }
      >
        {engineInfo ? engineBadgeText(engineInfo) : mode === 'train' ? 'engine…' : 'no training · analysis float64'}
      </span>
    </div>
  );
}
