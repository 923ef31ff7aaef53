/**
 * The run store: config (mirrored in the URL hash), the worker's state, every epoch snapshot of
 * the current run, and the user's selections. Hover lives in a separate store (hoverStore.ts) so a
 * mouse move re-renders only what hover touches.
 */
import { create } from 'zustand';
import type { ConfigIssue, RunConfig } from '../core/formats/config';
import type { EpochMetrics, EpochSnapshot, PartialEpochSnapshot, ShownSnapshot } from '../core/snapshot';
import { partialAfter, withPartial } from '../core/analysisPlan';
import type { AnalysisPhase } from '../core/analysis/epochSnapshot';
import type { ModelWeights } from '../core/formats/model';
import { defaultView, type ViewFields } from './viewHash';
import type { EngineInfo } from '../core/engines';
import type { ProbeInfo } from '../worker/protocol';
import type { LifecycleState, RunMode } from '../run/lifecycle';

/** The run's lifecycle state (run/lifecycle.ts): what the worker last acknowledged, or 'pausing'. */
export type RunStatus = LifecycleState;

export interface Banner {
  id: number;
  kind: 'error' | 'warning' | 'info';
  message: string;
}

export interface BatchLossPoint {
  /** Fractional epoch (epoch - 1 + step / stepsPerEpoch). */
  x: number;
  loss: number;
}

export type { NormMode } from './viewHash';

/**
 * One background seed of a several-seed run (config `seeds` > 1; core/seeds.ts derives `seed`):
 * its analysed snapshots, and where its training stands. 'queued': not started; 'running':
 * training or analysing (`fraction` of the current phase, `what` it is doing); 'done': every
 * epoch of the target; 'stopped' / 'failed': ended early (`message` says why; snapshots kept).
 */
export interface SeedRun {
  seed: number;
  /** Snapshots in increasing epoch order. */
  epochs: EpochSnapshot[];
  status: 'queued' | 'running' | 'done' | 'stopped' | 'failed';
  progress: { what: string; fraction: number } | null;
  message?: string;
}

/** The run's state; its view half (selection, display modes, hidden controls) is viewHash.ts's ViewFields. */
export interface RunState extends ViewFields {
  runId: string;
  config: RunConfig;
  configIssues: ConfigIssue[];
  status: RunStatus;
  progress: { what: string; fraction: number } | null;
  /** The engine training the run (what the badge shows), null before the worker says. */
  engineInfo: EngineInfo | null;
  probe: ProbeInfo | null;
  dataSource: string;
  /** Snapshots of completed, analysed epochs in epoch order (index = position, not epoch). */
  epochs: EpochSnapshot[];
  /** Metrics of epochs whose analysis is still running. */
  pending: Record<number, EpochMetrics>;
  batchLosses: BatchLossPoint[];
  /** Epoch currently trained (0 before training). */
  trainedEpoch: number;
  /** "replay" runs came from an imported bundle or model: there is nothing to train. */
  mode: RunMode;
  /**
   * The training worker's last acknowledged state: `epoch` complete, `batch` of `batches` of the
   * next one trained (a pause mid-epoch), `epochs` the target. null without a trainer.
   */
  worker: { state: LifecycleState; epoch: number; batch: number; batches: number; epochs: number } | null;
  /** Slow motion: ms of wait before each batch (0 = full speed; never changes a number). */
  paceMs: number;
  /**
   * What the accuracy badge measures: null for a training run (the held-out test split); for an
   * imported model, the bundled test split when its encoding fits, else the probe digits.
   */
  accuracyOn: { split: 'test' | 'probes'; count: number } | null;
  banners: Banner[];
  storageNote: string | null;
  /**
   * What IndexedDB holds of the current run: the newest epoch whose snapshot is committed (-1 none)
   * and how many writes are still in flight. A reload is safe when `writing` is 0.
   */
  saved: { runId: string; epoch: number; writing: number };
  /**
   * The epoch being analysed now and how far (cleared when its snapshot or error arrives);
   * `etaMs`: time left at the rate measured so far (core/analysisPlan.ts analysisEta), null until known.
   */
  analysing: { epoch: number; phase: AnalysisPhase; fraction: number; etaMs?: number | null } | null;
  /**
   * The newest epoch whose dynamics stage is done and flip stage is not (a PartialEpochSnapshot):
   * shown while it runs, never persisted; dropped when its complete snapshot arrives.
   */
  partial: PartialEpochSnapshot | null;
  /** Where the analysis runs: the float64 pool's worker count now (0 until the pool exists). */
  analysisWorkers: number;
  /** An imported model (mode 'model' or a replayed bundle's weights), as its ftle-lab.model/v1 object. */
  importedModel: Record<string, unknown> | null;
  /** The imported model parsed to float64 (mode 'model'). */
  importedWeights: ModelWeights | null;
  /**
   * The other seeds of a several-seed run (seed_1..seed_{S-1}, in that order); empty for one seed.
   * The main run above is seed_0. Filled by src/app/seeds.ts, a replayed bundle or a restored run.
   */
  seedRuns: SeedRun[];
}

export interface RunActions {
  set: (patch: Partial<RunState>) => void;
  addBanner: (kind: Banner['kind'], message: string) => void;
  dismissBanner: (id: number) => void;
  addSnapshot: (s: EpochSnapshot) => void;
  /** Keeps the partial snapshot of an epoch still analysing (ignored when that epoch is already complete). */
  setPartial: (s: PartialEpochSnapshot) => void;
  addBatchLoss: (p: BatchLossPoint) => void;
  /** Adds (or replaces, same epoch) a snapshot of background seed `seed`; ignored for an unknown seed. */
  addSeedSnapshot: (seed: number, s: EpochSnapshot) => void;
  /** Updates the status fields of background seed `seed`. */
  patchSeedRun: (seed: number, patch: Partial<Omit<SeedRun, 'seed' | 'epochs'>>) => void;
}

const MAX_BATCH_POINTS = 4000;
let bannerSeq = 1;

export const useRunStore = create<RunState & RunActions>()((set) => ({
  runId: '',
  config: undefined as unknown as RunConfig,
  configIssues: [],
  status: 'idle',
  progress: null,
  engineInfo: null,
  probe: null,
  dataSource: '',
  epochs: [],
  pending: {},
  batchLosses: [],
  trainedEpoch: 0,
  ...defaultView(),
  mode: 'train',
  worker: null,
  autostart: false,
  paceMs: 0,
  accuracyOn: null,
  banners: [],
  storageNote: null,
  saved: { runId: '', epoch: -1, writing: 0 },
  analysing: null,
  partial: null,
  analysisWorkers: 0,
  importedModel: null,
  importedWeights: null,
  seedRuns: [],
  set: (patch) => set(patch),
  addBanner: (kind, message) =>
    set((s) =>
      // The same message twice is one banner: a failing loop must not flood the page.
      s.banners.some((b) => b.message === message) ? s : { banners: [...s.banners, { id: bannerSeq++, kind, message }] },
    ),
  dismissBanner: (id) => set((s) => ({ banners: s.banners.filter((b) => b.id !== id) })),
  addSnapshot: (snap) =>
    set((s) => {
      const others = s.epochs.filter((e) => e.epoch !== snap.epoch);
      const epochs = [...others, snap].sort((a, b) => a.epoch - b.epoch);
      const pending = { ...s.pending };
      delete pending[snap.epoch];
      return { epochs, pending, partial: partialAfter(s.partial, snap.epoch) };
    }),
  setPartial: (partial) => set((s) => (s.epochs.some((e) => e.epoch === partial.epoch) ? s : { partial })),
  addSeedSnapshot: (seed, snap) =>
    set((s) => ({
      seedRuns: s.seedRuns.map((r) =>
        r.seed === seed ? { ...r, epochs: [...r.epochs.filter((e) => e.epoch !== snap.epoch), snap].sort((a, b) => a.epoch - b.epoch) } : r,
      ),
    })),
  patchSeedRun: (seed, patch) => set((s) => ({ seedRuns: s.seedRuns.map((r) => (r.seed === seed ? { ...r, ...patch } : r)) })),
  addBatchLoss: (p) =>
    set((s) => {
      let pts = s.batchLosses.length >= MAX_BATCH_POINTS ? s.batchLosses.filter((_, i) => i % 2 === 0) : s.batchLosses;
      pts = [...pts, p];
      return { batchLosses: pts };
    }),
}));

/**
 * What the panels show: the complete snapshots and, after them, the partial one of the epoch still
 * analysing (core/analysisPlan.ts withPartial). Memoised on its inputs (a zustand selector must be stable).
 */
let shownMemo: { epochs: EpochSnapshot[]; partial: PartialEpochSnapshot | null; shown: ShownSnapshot[] } | null = null;
export function selectShownSnapshots(s: RunState): ShownSnapshot[] {
  if (shownMemo && shownMemo.epochs === s.epochs && shownMemo.partial === s.partial) return shownMemo.shown;
  shownMemo = { epochs: s.epochs, partial: s.partial, shown: withPartial(s.epochs, s.partial) };
  return shownMemo.shown;
}

/** The snapshot the panels show, partial ones included: the selected epoch, or the newest when following live. */
export function selectShownOrPartial(s: RunState): ShownSnapshot | null {
  const shown = selectShownSnapshots(s);
  if (shown.length === 0) return null;
  if (s.selectedEpoch === null) return shown[shown.length - 1];
  return shown.find((e) => e.epoch === s.selectedEpoch) ?? shown[shown.length - 1];
}

/** The snapshot every panel shows: the selected epoch, or the newest when following live. */
export function selectShownSnapshot(s: RunState): EpochSnapshot | null {
  if (s.epochs.length === 0) return null;
  if (s.selectedEpoch === null) return s.epochs[s.epochs.length - 1];
  return s.epochs.find((e) => e.epoch === s.selectedEpoch) ?? s.epochs[s.epochs.length - 1];
}
