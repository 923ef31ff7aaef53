/**
 * The alignment chart's numbers, computed once from each epoch's AlignmentSummary: per epoch, the
 * paper's cosine-std statistic and its controls averaged over the analysed steps (finiteMean, as
 * the alignment verdict averages them), and the principal-angle overlaps at one subspace size m.
 * The chart (ui/renderers/alignment.ts) draws these series as they are.
 */
import type { AlignmentSummary } from '../snapshot';
import { finiteMean } from '../stats/descriptive';

/** One epoch's AlignmentSummary (null when the epoch has none). */
export interface AlignmentEpoch {
  epoch: number;
  alignment: AlignmentSummary | null;
}

/** Per-epoch series, every value averaged over the analysed steps. */
export interface AlignmentSeries {
  epochs: number[];
  paperStd: number[];
  paperStdRandomQ: number[];
  /** The last 10 Q vectors' statistic (NaN where the whole basis was not tracked). */
  paperStdLastQ: number[];
  /** Smallest pool the random Q indices were drawn from, and N (pool < N: a narrower control than the paper's). */
  randomQPool: number;
  N: number;
  paperStdMismatched: number[];
  paperStdWhh: number[];
  /**
   * The same statistic with the covariant Lyapunov vectors in place of Q (method.md §9), beside Q:
   * NaN for epochs without CLVs (older files, fewer CLVs than nq).
   */
  paperStdClv: number[];
  /**
   * True when some epoch carries CLVs: their principal-angle overlaps equal Q's (span(v_1..v_m) =
   * span(q_1..q_m) at every step, method.md §9), so the overlap chart says so instead of a second line.
   */
  clvOverlapSameAsQ: boolean;
  /** 1/sqrt(N) per epoch (constant in a run). */
  nullCosStd: number[];
  /** The m shown and its index in AlignmentSummary.m. */
  m: number;
  overlapLeft: number[];
  overlapLeftStd: number[];
  overlapRight: number[];
  overlapRightStd: number[];
  overlapLeftMismatched: number[];
  overlapLeftWhh: number[];
  /** m/N per epoch. */
  overlapNull: number[];
  /** The null lines drawn once: mean over epochs of nullCosStd and of overlapNull (constant in a run). */
  nullCosStdLevel: number;
  overlapNullLevel: number;
}

/** Mean over steps of column j of a [steps][M] table (finite entries). */
function columnMean(table: number[][], j: number): number {
  return finiteMean(table.map((row) => row[j]));
}

/**
 * Builds the per-epoch series for subspace size m (falls back to the first m of the first
 * summary when m is absent). Epochs without alignment are skipped.
 */
export function alignmentSeries(epochs: AlignmentEpoch[], m?: number): AlignmentSeries {
  const withA = epochs.filter((e): e is { epoch: number; alignment: AlignmentSummary } => e.alignment !== null);
  const ms = withA[0]?.alignment.m ?? [];
  const chosen = m !== undefined && ms.includes(m) ? m : (ms[0] ?? NaN);
  const s: AlignmentSeries = {
    epochs: [],
    paperStd: [],
    paperStdRandomQ: [],
    paperStdLastQ: [],
    randomQPool: NaN,
    N: NaN,
    paperStdMismatched: [],
    paperStdWhh: [],
    paperStdClv: [],
    clvOverlapSameAsQ: false,
    nullCosStd: [],
    m: chosen,
    overlapLeft: [],
    overlapLeftStd: [],
    overlapRight: [],
    overlapRightStd: [],
    overlapLeftMismatched: [],
    overlapLeftWhh: [],
    overlapNull: [],
    nullCosStdLevel: NaN,
    overlapNullLevel: NaN,
  };
  for (const { epoch, alignment: a } of withA) {
    const j = a.m.indexOf(chosen);
    s.epochs.push(epoch);
    s.paperStd.push(finiteMean(a.paperStd));
    s.paperStdRandomQ.push(finiteMean(a.paperStdRandomQ));
    s.paperStdLastQ.push(a.paperStdLastQ ? finiteMean(a.paperStdLastQ) : NaN);
    const N = Math.round(1 / (a.nullCosStd * a.nullCosStd));
    s.N = N;
    // Older files do not say (their random indices came from the tracked vectors, count unknown).
    if (a.randomQPool !== undefined) s.randomQPool = Number.isNaN(s.randomQPool) ? a.randomQPool : Math.min(s.randomQPool, a.randomQPool);
    s.paperStdMismatched.push(finiteMean(a.paperStdMismatched));
    s.paperStdWhh.push(finiteMean(a.paperStdWhh));
    s.paperStdClv.push(a.paperStdClv ? finiteMean(a.paperStdClv) : NaN);
    if (a.paperStdClv) s.clvOverlapSameAsQ = true;
    s.nullCosStd.push(a.nullCosStd);
    s.overlapLeft.push(j >= 0 ? columnMean(a.overlapLeft, j) : NaN);
    s.overlapLeftStd.push(j >= 0 ? columnMean(a.overlapLeftStd, j) : NaN);
    s.overlapRight.push(j >= 0 ? columnMean(a.overlapRight, j) : NaN);
    s.overlapRightStd.push(j >= 0 ? columnMean(a.overlapRightStd, j) : NaN);
    s.overlapLeftMismatched.push(j >= 0 ? columnMean(a.overlapLeftMismatched, j) : NaN);
    s.overlapLeftWhh.push(j >= 0 ? columnMean(a.overlapLeftWhh, j) : NaN);
    s.overlapNull.push(j >= 0 ? a.overlapNull[j] : NaN);
  }
  s.nullCosStdLevel = finiteMean(s.nullCosStd);
  s.overlapNullLevel = finiteMean(s.overlapNull);
  return s;
}
