/**
 * The seed panel's numbers, computed once from every seed's snapshots: summarizeSeeds' rows, each
 * seed's flip and alignment statistic per epoch and their means with 95% t intervals
 * (core/seedSummary.ts), and the row the verdict across seeds reads. The charts
 * (ui/renderers/seeds.ts) draw them as they are.
 */
import { flipGapAtChosenK, meanInterval, summarizeSeeds, type ClaimInput, type MeanInterval, type SeedSummaryEpoch } from '../seedSummary';
import type { EpochSnapshot } from '../snapshot';

/** One seed's snapshots (the main run is seed_0, first). */
export interface SeedSnapshots {
  seed: number;
  epochs: (ClaimInput & Pick<EpochSnapshot, 'flip'>)[];
}

/** One claim statistic over epochs: each seed's value and the mean with its interval, per epoch. */
export interface SeedStatisticSeries {
  /** Axis title, e.g. "R-top − random ΔL at k = 4". */
  label: string;
  points: { epoch: number; seed: number; value: number }[];
  means: ({ epoch: number } & MeanInterval)[];
}

export interface SeedSummaryData {
  seeds: number[];
  rows: SeedSummaryEpoch[];
  flip: SeedStatisticSeries;
  alignment: SeedStatisticSeries;
}

/**
 * The panel's data from every seed's snapshots: summarizeSeeds' rows, the flip statistic (R-top
 * minus random at each snapshot's chosen k, flipGapAtChosenK) and the alignment gap (the paper
 * statistic minus its strongest control) per seed and epoch, with their means and 95% intervals.
 */
export function seedSummaryData(runs: readonly SeedSnapshots[]): SeedSummaryData {
  const rows = summarizeSeeds(runs.map((r) => r.epochs));
  const flipPoints: SeedStatisticSeries['points'] = [];
  const ks = new Set<number>();
  for (const r of runs) {
    for (const s of r.epochs) {
      const g = flipGapAtChosenK(s);
      if (!g || !Number.isFinite(g.value)) continue;
      ks.add(g.k);
      flipPoints.push({ epoch: s.epoch, seed: r.seed, value: g.value });
    }
  }
  const alignPoints: SeedStatisticSeries['points'] = [];
  for (const row of rows) {
    row.runs.forEach((c, i) => {
      if (c?.alignment && Number.isFinite(c.alignment.gap))
        alignPoints.push({ epoch: row.epoch, seed: runs[i].seed, value: c.alignment.gap });
    });
  }
  const meansOf = (pts: SeedStatisticSeries['points']) =>
    rows
      .map((row) => ({ epoch: row.epoch, ...meanInterval(pts.filter((p) => p.epoch === row.epoch).map((p) => p.value)) }))
      .filter((m) => m.n > 0);
  const kText = ks.size === 1 ? `k = ${[...ks][0]}` : 'the chosen k';
  return {
    seeds: runs.map((r) => r.seed),
    rows,
    flip: { label: `R-top − random ΔL at ${kText}`, points: flipPoints, means: meansOf(flipPoints) },
    alignment: { label: 'alignment − strongest control', points: alignPoints, means: meansOf(alignPoints) },
  };
}

/** The row the verdict across seeds reads: the newest epoch every seed has analysed, else the newest any seed has; null for none. */
export function seedVerdictRow(rows: readonly SeedSummaryEpoch[]): SeedSummaryEpoch | null {
  const full = rows.filter((r) => r.runs.every((c) => c !== null));
  return full[full.length - 1] ?? rows[rows.length - 1] ?? null;
}
