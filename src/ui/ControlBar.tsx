import { PRESETS, PRESET_CONFIGS, PRESET_LABELS, type Preset } from '../core/formats/config';
import { engineBadgeText, engineTooltip } from '../core/engines';
import { applyConfig, resetRun, stepEpoch, toggleTraining } from '../store/controller';
import { useRunStore } from '../store/runStore';

function formatAcc(a: number | undefined): string {
  return a === undefined || !Number.isFinite(a) ? '–' : `${(a * 100).toFixed(1)}%`;
}

/** Run controls and live status: preset, start/pause, one epoch, reset, backend, epoch, accuracy. */
export function ControlBar({ hidePreset = false }: { hidePreset?: boolean }) {
  const config = useRunStore((s) => s.config);
  const status = useRunStore((s) => s.status);
  const backend = useRunStore((s) => s.backend);
  const progress = useRunStore((s) => s.progress);
  const trainedEpoch = useRunStore((s) => s.trainedEpoch);
  const mode = useRunStore((s) => s.mode);
  const analysing = useRunStore((s) => s.analysing);
  const waiting = useRunStore((s) => Object.keys(s.pending).length);
  const latest = useRunStore((s) => {
    const snaps = s.epochs;
    const pendingEpochs = Object.keys(s.pending).map(Number);
    const lastPending = pendingEpochs.length ? Math.max(...pendingEpochs) : -1;
    const lastSnap = snaps.length ? snaps[snaps.length - 1] : undefined;
    if (lastSnap && lastSnap.epoch >= lastPending) return lastSnap.metrics;
    return lastPending >= 0 ? s.pending[lastPending] : undefined;
  });
  if (!config) return null;
  const busy = status === 'loading' || mode !== 'train';
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
      <button type="button" data-testid="train-toggle" className="primary" disabled={busy || status === 'done'} onClick={toggleTraining}>
        {status === 'training' ? 'Pause' : 'Start'}
      </button>
      <button type="button" data-testid="step-epoch" disabled={busy || status === 'training' || status === 'done'} onClick={stepEpoch}>
        Step one epoch
      </button>
      <button type="button" data-testid="reset-run" onClick={resetRun}>
        Reset
      </button>
      <span className="status" data-testid="run-status" aria-live="polite">
        {status}
        {progress && ` · ${progress.what} ${Math.round(progress.fraction * 100)}%`}
      </span>
      <span className="badge" data-testid="epoch-label">
        epoch {trainedEpoch} / {config.epochs}
      </span>
      <span className="badge" data-testid="test-accuracy" title="Test accuracy on the held-out split">
        test acc {formatAcc(latest?.testAcc)}
      </span>
      {analysing && (
        <span
          className="badge analysing"
          data-testid="analysis-status"
          title="The analysis worker's progress on this epoch (float64 dynamics, alignment, flip test). Training does not wait for it; the epoch's panels appear when it is done."
        >
          analysing epoch {analysing.epoch} · {analysing.phase} {Math.round(analysing.fraction * 100)}%
          {waiting > 1 && ` (+${waiting - 1} queued)`}
        </span>
      )}
      <span
        className="badge backend"
        data-testid="backend-badge"
        title={backend ? engineTooltip(backend) : 'starting'}
      >
        {backend ? engineBadgeText(backend) : 'engine…'}
      </span>
    </div>
  );
}
