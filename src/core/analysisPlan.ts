/**
 * The analysis plan in words, and the arithmetic the panels show around it: which statistics fell
 * short of the paper's plan and why (planNotes), how long an analysis will take from its plan's
 * cost and a measured rate (analysisEta), and which snapshots the panels show while an epoch's
 * flip stage still runs (withPartial). Pure: the panels draw these strings and numbers as given.
 */
import type { AnalysisEngineInfo, AnalysisPlan, EpochSnapshot, PartialEpochSnapshot, ShownSnapshot } from './snapshot';

/** One sentence per statistic that fell short of the paper's plan, null where nothing was cut. */
export interface PlanNotes {
  /** Random flip draws, e.g. "5 of the paper's 50 random draws: CPU budget". */
  draws: string | null;
  /** Matched baselines' draws, e.g. "2 of the paper's 10 matched draws per baseline: CPU budget". */
  matched: string | null;
  /** The single-pixel map, e.g. "single-pixel map skipped: CPU budget". */
  single: string | null;
}

/**
 * The cut of a plan in words (null fields where the statistic is the paper's). A draw count below
 * the paper's says whether the CPU budget cut it or the link asked for it (`draws=5`); one above it
 * is the link's too. A plan absent (files written before plans were recorded) says nothing.
 */
export function planNotes(plan: AnalysisPlan | undefined): PlanNotes {
  if (!plan) return { draws: null, matched: null, single: null };
  const { paper } = plan;
  let draws: string | null = null;
  if (plan.R !== paper.R) {
    const why = plan.drawsFrom === 'CPU budget' ? 'CPU budget' : `draws=${plan.R} in the configuration`;
    draws =
      plan.R < paper.R
        ? `${plan.R} of the paper's ${paper.R} random draws: ${why}`
        : `${plan.R} random draws, more than the paper's ${paper.R}: ${why}`;
  }
  const matched = plan.Rm < paper.Rm ? `${plan.Rm} of the paper's ${paper.Rm} matched draws per baseline: CPU budget` : null;
  const single = !plan.single && paper.single ? 'single-pixel map skipped: CPU budget' : null;
  return { draws, matched, single };
}

/** The flip panel's notes (random and matched draws) as one line, or null when its plan is the paper's. */
export function flipPlanNote(plan: AnalysisPlan | undefined): string | null {
  const n = planNotes(plan);
  const parts = [n.draws, n.matched].filter((s): s is string => s !== null);
  return parts.length ? parts.join('; ') : null;
}

/** Total estimated multiply-adds of a plan (the progress weights summed). */
export function planMacs(plan: AnalysisPlan): number {
  const m = plan.macs;
  return m.lyapunov + m.alignment + m.flip + m.single;
}

/**
 * Milliseconds left of an analysis: the cost-weighted progress `fraction` in [0, 1] (the
 * plan's multiply-adds done, AnalysisProgress) reached after `elapsedMs`, so the measured rate
 * is fraction / elapsedMs and the rest takes elapsedMs (1 - fraction) / fraction. Null until
 * 1% is done (the rate is not measured yet) or for a non-finite input.
 */
export function analysisEta(elapsedMs: number, fraction: number): number | null {
  if (!(Number.isFinite(elapsedMs) && Number.isFinite(fraction)) || fraction < 0.01 || elapsedMs < 0) return null;
  if (fraction >= 1) return 0;
  return (elapsedMs * (1 - fraction)) / fraction;
}

/**
 * Milliseconds left of an epoch's analysis: analysisEta once 1% is done; before that, the time the
 * previous epoch's analysis of the same plan took (`previousMs`, NaN or undefined when none) less
 * the time elapsed, so an explicit `draws=` shows its estimate from the start of every epoch after the first.
 */
export function epochEtaMs(elapsedMs: number, fraction: number, previousMs?: number): number | null {
  const measured = analysisEta(elapsedMs, fraction);
  if (measured !== null) return measured;
  if (previousMs === undefined || !Number.isFinite(previousMs) || !Number.isFinite(elapsedMs)) return null;
  return Math.max(0, previousMs - elapsedMs);
}

/**
 * Milliseconds an analysis of `plan` should take at the rate an earlier analysis measured:
 * `ratedMacs` multiply-adds (that plan's planMacs) in `ratedMs`. Null without a usable rate.
 */
export function planEtaMs(plan: AnalysisPlan, ratedMacs: number, ratedMs: number): number | null {
  if (!(ratedMacs > 0 && ratedMs > 0 && Number.isFinite(ratedMacs) && Number.isFinite(ratedMs))) return null;
  return (planMacs(plan) * ratedMs) / ratedMacs;
}

/** A duration for a person: "12 s", "3 min", "1.5 h" (rounded; ms in, text out). */
export function durationText(ms: number): string {
  const s = ms / 1000;
  if (s < 1) return 'under 1 s';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * The snapshots the panels may show: the complete ones, and the partial one (an epoch whose flip
 * stage still runs) when no complete snapshot of its epoch exists, in epoch order. Inputs are not changed.
 */
export function withPartial(epochs: readonly EpochSnapshot[], partial: PartialEpochSnapshot | null): ShownSnapshot[] {
  if (!partial || epochs.some((e) => e.epoch === partial.epoch)) return [...epochs];
  return [...epochs, partial].sort((a, b) => a.epoch - b.epoch);
}

/**
 * The partial snapshot the store keeps after a complete snapshot of `epoch` arrived: dropped when
 * it is of that epoch (or older: its analysis is done), kept otherwise.
 */
export function partialAfter(partial: PartialEpochSnapshot | null, epoch: number): PartialEpochSnapshot | null {
  return partial && partial.epoch > epoch ? partial : null;
}

/** Where an epoch's analysis stands, as the store keeps it (runStore `analysing`). */
export interface AnalysisProgressState {
  epoch: number;
  phase: string;
  /** Cost-weighted fraction of the whole analysis done, [0, 1]. */
  fraction: number;
  /** Time left at the measured rate (analysisEta), null or absent until known. */
  etaMs?: number | null;
}

/**
 * What a panel waiting for its stage says: `what` ("Flip test", "Lyapunov spectrum") of `epoch`,
 * and how far that epoch's analysis is when it is the one running (phase, percent, time left),
 * else that it waits its turn. Percentages are of the whole epoch's analysis, as the badge shows.
 */
export function pendingText(what: string, epoch: number, analysing: AnalysisProgressState | null): string {
  if (!analysing || analysing.epoch !== epoch) return `${what} of epoch ${epoch}: waiting for its analysis to start…`;
  const pct = Math.floor(analysing.fraction * 100);
  const eta = analysing.etaMs != null ? `, about ${durationText(analysing.etaMs)} left` : '';
  return `${what} of epoch ${epoch}: analysing (${analysing.phase}, ${pct}% of the epoch's analysis${eta})…`;
}

/**
 * Where the analysis runs, for the badge, from the typed record a snapshot carries
 * (EpochSnapshot.analysisEngine): "GPU float32 (WebGPU) · <adapter>" for a GPU-analysed epoch;
 * "CPU float64, W workers" for the CPU pool (also when no snapshot records an engine: files and
 * runs from before the GPU engine), with " · GPU not used: <reason>" when a GPU was asked for and
 * the CPU ran (no adapter, gated cell, device lost).
 */
export function analysisPlaceText(engine: AnalysisEngineInfo | undefined, workers: number): string {
  if (engine?.kind === 'gpu') return `GPU float32 (WebGPU) · ${engine.adapter?.trim() || 'unknown adapter'}`;
  const w = Math.max(1, Math.floor(workers));
  const cpu = `CPU float64, ${w} worker${w === 1 ? '' : 's'}`;
  return engine?.fallback ? `${cpu} · GPU not used: ${engine.fallback}` : cpu;
}

/**
 * The engine the badge names: the partial snapshot's (the epoch analysing now) when it records
 * one, else the newest complete snapshot's; undefined when none records an engine.
 */
export function shownAnalysisEngine(
  epochs: readonly EpochSnapshot[],
  partial: PartialEpochSnapshot | null,
): AnalysisEngineInfo | undefined {
  return partial?.analysisEngine ?? epochs[epochs.length - 1]?.analysisEngine;
}
