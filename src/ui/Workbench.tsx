import { useMemo } from 'react';
import { engineBadgeText, engineLabel } from '../core/engines';
import { epochThreads } from '../core/snapshot';
import { selectShownOrPartial, selectShownSnapshots, useRunStore } from '../store/runStore';
import { isPartialSnapshot } from '../core/snapshot';
import { flipPlanNote, pendingText, planNotes } from '../core/analysisPlan';
import { gpuCheckText } from '../core/gpuCheckText';
import { ClvPanel } from './panels/ClvPanel';
import { useHoverStore } from '../store/hoverStore';
import { stepUnitOf } from '../core/sensitivity/rankingNames';
import { composeFigureGrid, exportSvg } from './renderers/export';
import { toggleTraining } from '../app/controller';
import { currentFigures } from './panels/figures';
import {
  AlignmentPlot,
  SeedSummary,
  EmptyState,
  EpochTimeline,
  FlipPlot,
  LogitsPlot,
  PendingPanel,
  PixelHeatmap,
  SpectrumPlot,
  TrainingPanel,
  epochScoreHalfWidth,
  probeLnR,
  type EpochPoint,
  type SpectrumPlotProps,
} from './panels';

/** Hovering the heatmap sets the hover store; writing needs no subscription, so it causes no re-render. */
const setHoverStep = (t: number | null) => useHoverStore.getState().setStep(t);

/**
 * The spectrum panel with the hovered step: the only panel that draws hover, so the only one that
 * subscribes to the hover store (Workbench and the other panels do not re-render on hover).
 */
function SpectrumPlotWithHover(props: Omit<SpectrumPlotProps, 'hoveredStep'>) {
  const hoveredStep = useHoverStore((s) => s.step);
  return <SpectrumPlot {...props} hoveredStep={hoveredStep} />;
}

/**
 * The panels, wired to the store. Panels are presentational (props in, callbacks out); this is
 * the one place that decides which snapshot, probe and options they show.
 */
export function Workbench() {
  // Complete snapshots and, after them, the epoch whose flip stage still runs (its dynamics shown).
  const epochs = useRunStore(selectShownSnapshots);
  const snap = useRunStore(selectShownOrPartial);
  const analysing = useRunStore((s) => s.analysing);
  const probe = useRunStore((s) => s.probe);
  const selectedEpoch = useRunStore((s) => s.selectedEpoch);
  const selectedProbe = useRunStore((s) => s.selectedProbe);
  const scoreN = useRunStore((s) => s.scoreN);
  const normMode = useRunStore((s) => s.normMode);
  const logBase = useRunStore((s) => s.logBase);
  const flipK = useRunStore((s) => s.flipK);
  const overlapM = useRunStore((s) => s.overlapM);
  const batchLosses = useRunStore((s) => s.batchLosses);
  const engineInfo = useRunStore((s) => s.engineInfo);
  const set = useRunStore((s) => s.set);
  const status = useRunStore((s) => s.status);
  const mode = useRunStore((s) => s.mode);
  const plannedEpochs = useRunStore((s) => s.config?.epochs);
  const mainSeed = useRunStore((s) => s.config?.seed);
  const seedRuns = useRunStore((s) => s.seedRuns);
  // The main run is seed_0; the background seeds follow (hidden for a single-seed run).
  const seedPanelRuns = useMemo(
    () => (seedRuns.length ? [{ seed: mainSeed ?? 0, epochs }, ...seedRuns.map((r) => ({ seed: r.seed, epochs: r.epochs }))] : []),
    [seedRuns, mainSeed, epochs],
  );
  const seedStatus = useMemo(
    () => seedRuns.map((r) => ({ seed: r.seed, status: r.status, progress: r.progress, message: r.message, epochs: r.epochs.length })),
    [seedRuns],
  );

  const points: EpochPoint[] = useMemo(
    () =>
      epochs.map((e) => ({
        epoch: e.epoch,
        trainLoss: e.metrics.trainLoss,
        testLoss: e.metrics.testLoss,
        trainAcc: e.metrics.trainAcc,
        testAcc: e.metrics.testAcc,
      })),
    [epochs],
  );
  // The Training panel also plots epochs trained but not yet analysed (their metrics wait in `pending`).
  const pendingMetrics = useRunStore((s) => s.pending);
  const trainingPoints: EpochPoint[] = useMemo(() => {
    const have = new Set(points.map((q) => q.epoch));
    const waiting = Object.entries(pendingMetrics)
      .map(([e, m]) => ({ epoch: Number(e), trainLoss: m.trainLoss, testLoss: m.testLoss, trainAcc: m.trainAcc, testAcc: m.testAcc }))
      .filter((q) => !have.has(q.epoch));
    return waiting.length ? [...points, ...waiting].sort((a, b) => a.epoch - b.epoch) : points;
  }, [points, pendingMetrics]);
  const spectra = useMemo(() => epochs.map((e) => ({ epoch: e.epoch, spectrum: e.spectrum })), [epochs]);
  const alignments = useMemo(() => epochs.map((e) => ({ epoch: e.epoch, alignment: e.alignment })), [epochs]);
  const batchLossValues = useMemo(() => batchLosses.map((p) => p.loss), [batchLosses]);

  const B = probe?.labels.length ?? 0;
  const p = Math.min(selectedProbe, Math.max(0, B - 1));
  const lnR = useMemo(() => (snap ? probeLnR(snap.lnR, p, snap.T, snap.k) : null), [snap, p]);
  const n = snap ? Math.min(scoreN, snap.k) : scoreN;
  const halfWidth = useMemo(() => {
    if (!snap) return undefined;
    if (normMode === 'epoch') return epochScoreHalfWidth(snap.lnR, snap.T, snap.k, n);
    if (normMode === 'all') return Math.max(...epochs.map((e) => epochScoreHalfWidth(e.lnR, e.T, e.k, n)));
    return undefined;
  }, [snap, normMode, epochs, n]);

  if (!probe) {
    return (
      <main className="panels">
        <EmptyState>Loading digits…</EmptyState>
      </main>
    );
  }
  if (!snap) {
    // No stage of any epoch is done yet: every panel says what it waits for, and training shows.
    const epoch = analysing?.epoch ?? 0;
    const wait = (what: string) => pendingText(what, epoch, analysing);
    return (
      <main className="panels" data-testid="workbench-pending">
        <PendingPanel title="Expansion per step s_t(n)" testId="heatmap-pending" text={wait('Heatmap')} />
        <PendingPanel title="Finite-time Lyapunov spectrum" testId="spectrum-pending" text={wait('Lyapunov spectrum')} />
        <PendingPanel title="Flip test" testId="flip-pending-panel" text={wait('Flip test')} />
        <PendingPanel title="Do Lyapunov vectors align with the gradient?" testId="alignment-pending" text={wait('Alignment')} />
        <TrainingPanel
          points={trainingPoints}
          batchLoss={batchLossValues}
          caption="training"
          diagnostics={{ backend: engineInfo ? engineBadgeText(engineInfo) : undefined }}
        />
      </main>
    );
  }
  const partial = isPartialSnapshot(snap);
  const notes = planNotes(snap.plan);
  const flipPending = partial ? pendingText('Flip test', snap.epoch, analysing) : null;
  const last = epochs[epochs.length - 1];
  // Which data every exported figure shows.
  const caption = `epoch ${snap.epoch} · probe #${p + 1}, a “${probe.labels[p]}” (test digit ${probe.indices[p]})`;
  return (
    <>
      <section className="timeline-row">
        <EpochTimeline
          points={points}
          selectedEpoch={snap.epoch}
          onSelectEpoch={(e) => set({ selectedEpoch: e === last.epoch ? null : e })}
          followLive={selectedEpoch === null}
          onFollowLiveChange={(follow) => set({ selectedEpoch: follow ? null : snap.epoch })}
        />
        <label className="probe-select">
          <span>Probe digit</span>
          <select
            data-testid="probe-select"
            aria-label="Probe digit"
            value={p}
            onChange={(e) => set({ selectedProbe: Number(e.target.value) })}
          >
            {probe.labels.map((label, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the probe's index is its identity (probe #i+1 of a fixed set)
              <option key={i} value={i}>
                #{i + 1}: a “{label}” (test digit {probe.indices[i]})
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="figure-export"
          data-testid="export-figure"
          title="Every panel as one SVG figure, with titles, epoch, probe, legends and verdicts"
          onClick={() => exportSvg(composeFigureGrid(`FTLE Lab — ${caption}`, currentFigures(), 3), `ftle-lab-figure-epoch-${snap.epoch}`)}
        >
          Figure (SVG)
        </button>
      </section>
      {mode === 'train' &&
      epochs.length === 1 &&
      epochs[0].epoch === 0 &&
      !partial &&
      (status === 'ready' || status === 'paused' || status === 'idle') ? (
        <div className="call-to-action" data-testid="call-to-action" role="note">
          <p>
            <strong>This is the untrained network (epoch 0).</strong> Every panel below already shows its statistics and a one-line verdict
            for random weights. Train it and watch them change: the heatmap, the spectrum, the flip test and the alignment update after
            every epoch.
          </p>
          <button type="button" className="primary" data-testid="cta-start" onClick={() => toggleTraining()}>
            Start training{plannedEpochs ? ` (${plannedEpochs} epoch${plannedEpochs === 1 ? '' : 's'})` : ''}
          </button>
        </div>
      ) : null}
      <main className="panels">
        <PixelHeatmap
          S={probe.side}
          T={snap.T}
          k={snap.k}
          pixels={probe.digits[p]}
          lnR={lnR ?? []}
          stepToCells={probe.stepToCells}
          singleFlip={snap.flip?.singleFlip[p] ?? null}
          singleNote={notes.single ?? (partial ? pendingText('Single-pixel map', snap.epoch, analysing) : null)}
          n={n}
          onNChange={(v) => set({ scoreN: v })}
          normalization={normMode}
          onNormalizationChange={(m) => set({ normMode: m })}
          halfWidth={halfWidth}
          onHoverStep={setHoverStep}
          label={probe.labels[p]}
          caption={caption}
        />
        <SpectrumPlotWithHover
          epochs={spectra}
          selectedEpoch={snap.epoch}
          probeLnR={lnR}
          caption={caption}
          T={snap.T}
          k={snap.k}
          probe={p}
          log2={logBase === '2'}
          onLog2Change={(v) => set({ logBase: v ? '2' : 'e' })}
        />
        <FlipPlot
          flip={snap.flip}
          probe={p}
          pixels={probe.digits[p]}
          stepToCells={probe.stepToCells}
          S={probe.side}
          unit={stepUnitOf(probe.D)}
          caption={caption}
          previewK={flipK}
          onPreviewKChange={(k) => set({ flipK: k })}
          pending={flipPending}
          planNote={flipPlanNote(snap.plan)}
        />
        <AlignmentPlot
          epochs={alignments}
          selectedEpoch={snap.epoch}
          probe={p}
          caption={caption}
          m={overlapM}
          onMChange={(m) => set({ overlapM: m })}
        />
        <ClvPanel alignment={snap.alignment} probe={p} caption={caption} />
        <LogitsPlot flip={snap.flip} probe={p} label={probe.labels[p]} caption={caption} unit={stepUnitOf(probe.D)} pending={flipPending} />
        {seedPanelRuns.length ? <SeedSummary runs={seedPanelRuns} status={seedStatus} epochs={plannedEpochs ?? 0} /> : null}
        <TrainingPanel
          points={trainingPoints}
          batchLoss={batchLossValues}
          caption={`epoch ${snap.epoch}`}
          diagnostics={{
            backend: engineInfo ? engineBadgeText(engineInfo) : undefined,
            engine: snap.metrics.engine && engineLabel(snap.metrics.engine, epochThreads(snap.metrics)),
            renderer: engineInfo?.renderer,
            precision: engineInfo ? `float${engineInfo.floatPrecision}` : undefined,
            msPerStep: snap.metrics.msPerStep,
            analysisMs: snap.metrics.analysisMs,
            numTensors: snap.metrics.numTensors,
            saturation: snap.saturation,
            qrGradRelErr: snap.qrGradRelErr,
            gpuCheck: gpuCheckText(snap.gpuCheck),
          }}
        />
      </main>
    </>
  );
}
