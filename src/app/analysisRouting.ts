/**
 * The analysis side of the controller: analysis workers attached to a run (a crashed one replaced,
 * its epochs sent again), the request of each trained epoch, and the snapshots coming back.
 */
import type { RunConfig } from '../core/formats/config';
import type { EpochMetrics } from '../core/snapshot';
import { epochEtaMs } from '../core/analysisPlan';
import { plural } from '../run/lifecycle';
import { useRunStore } from '../store/runStore';
import { spawnAnalyzer } from '../worker/client';
import type { AnalyzerEvent, NamedTensors } from '../worker/protocol';
import { runEvents, type AnalyzeCommand, type RunSession, type Workers } from './session';

/** How many analysis-worker crashes in a row (no snapshot in between) are retried before giving up. */
export const MAX_ANALYZER_RESTARTS = 3;

/**
 * Starts an analysis worker for `w` and routes its events to `onEvent` while `w` is current. If
 * it dies, a new one takes over and every epoch still awaiting its snapshot is sent again.
 */
export function attachAnalyzer(session: RunSession, w: Workers, onEvent: (ev: AnalyzerEvent) => void): void {
  const analyzer = spawnAnalyzer();
  w.analyzer = analyzer;
  useRunStore.getState().set({ analysisWorkers: analyzer.size });
  analyzer.onEvent((ev) => {
    if (session.workers !== w || w.analyzer !== analyzer) return;
    // The pool resizes as training starts and stops: the badge says how many workers analyse now.
    if (useRunStore.getState().analysisWorkers !== analyzer.size) useRunStore.getState().set({ analysisWorkers: analyzer.size });
    onEvent(ev);
  });
  analyzer.onCrash((message) => {
    if (session.workers !== w || w.analyzer !== analyzer) return;
    analyzer.terminate();
    const store = useRunStore.getState();
    store.set({ analysing: null });
    const epochs = [...session.awaitingAnalysis.keys()].sort((x, y) => x - y);
    if (++session.analyzerCrashes > MAX_ANALYZER_RESTARTS) {
      store.addBanner(
        'error',
        w.trainer
          ? `The analysis worker stopped ${session.analyzerCrashes} times in a row (${message}). Use "Restart worker" to try again; trained epochs are kept.`
          : `The analysis worker stopped ${session.analyzerCrashes} times in a row (${message}). Import the model again to retry.`,
      );
      return;
    }
    store.addBanner(
      'warning',
      `The analysis worker stopped (${message}); a new one ${epochs.length ? `analyses ${plural(epochs.length, 'epoch')} again (${epochs.join(', ')})` : 'took over'}. No epoch is lost.`,
    );
    attachAnalyzer(session, w, onEvent);
    for (const e of epochs) w.analyzer.post(session.awaitingAnalysis.get(e)!);
  });
}

/** The analysis request of a trained epoch (probe inputs filled in when sent). */
export function analysisCommand(runId: string, epoch: number, config: RunConfig, weights: NamedTensors): AnalyzeCommand {
  return {
    type: 'analyze',
    runId,
    epoch,
    config,
    arch: config.cell,
    weights,
    probe: { inputs: new Float32Array(0), labels: [], T: 0, D: 0 },
    analysisEngine: config.analysis,
  };
}

/** Sends the analysis of a trained epoch once the probe digits are known. */
export function sendAnalysis(session: RunSession, epoch: number): void {
  const s = useRunStore.getState();
  const cmd = session.awaitingAnalysis.get(epoch);
  if (!session.workers || !cmd || !session.probeInputs || !s.probe) return;
  const full: AnalyzeCommand = { ...cmd, probe: { inputs: session.probeInputs, labels: s.probe.labels, T: s.probe.T, D: s.probe.D } };
  session.awaitingAnalysis.set(epoch, full);
  session.workers.analyzer.post(full);
}

export function onAnalyzerEvent(session: RunSession, ev: AnalyzerEvent): void {
  const store = useRunStore.getState();
  if (ev.runId !== store.runId) return;
  if (ev.type === 'progress') {
    // The time left at the rate measured since this epoch's first report (analysisPlan.ts analysisEta).
    const t = performance.now();
    if (session.analysisClock?.epoch !== ev.epoch) session.analysisClock = { epoch: ev.epoch, at: t };
    const prev = store.epochs.at(-1);
    const etaMs = epochEtaMs(t - session.analysisClock.at, ev.fraction, prev?.epoch === ev.epoch - 1 ? prev.metrics.analysisMs : undefined);
    store.set({ analysing: { epoch: ev.epoch, phase: ev.phase, fraction: ev.fraction, etaMs } });
    return;
  }
  if (ev.type === 'partial') {
    // The dynamics stage is done: its panels show while the flip test runs (never persisted).
    const metrics: EpochMetrics | undefined = store.pending[ev.epoch];
    if (metrics) store.setPartial({ epoch: ev.epoch, metrics: { ...metrics, analysisMs: Number.NaN }, ...ev.analysis });
    return;
  }
  if (ev.type === 'gpuFallback') {
    // The pool re-runs the epoch on the CPU; its snapshot follows.
    store.addBanner('warning', ev.message);
    return;
  }
  if (store.analysing?.epoch === ev.epoch) store.set({ analysing: null });
  if (ev.type === 'error') {
    store.addBanner('error', `Analysis of epoch ${ev.epoch} failed: ${ev.message}`);
    return;
  }
  const metrics: EpochMetrics | undefined = store.pending[ev.epoch];
  if (!metrics) return;
  session.awaitingAnalysis.delete(ev.epoch);
  session.analyzerCrashes = 0;
  store.addSnapshot({ epoch: ev.epoch, metrics: { ...metrics, analysisMs: ev.analysisMs }, ...ev.analysis });
  for (const f of runEvents.onSnapshot) f(store.runId, ev.epoch);
}
