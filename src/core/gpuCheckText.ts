/**
 * The float64 check of a GPU-analysed epoch in words (EpochSnapshot.gpuCheck, method.md §10), as
 * the Training panel shows it beside the Q/R-vs-BPTT error: the largest |GPU - float64| of each
 * quantity on the checked probe, and whether any flip-test verdict or Holm decision changes when
 * that probe's float64 losses replace the GPU's. Pure: the panel draws these strings as given.
 */
import type { GpuCheck } from './snapshot';

/** What the Training panel shows for one GPU-analysed epoch. */
export interface GpuCheckText {
  /** Row label, e.g. "GPU vs float64 (probe 3)". */
  label: string;
  /** "ln r 2.1e-6 · FTLE 4.0e-8 · Q 3.0e-5 · flip dL 1.2e-5 · single-pixel 2.0e-5 · cosines 0". */
  deviations: string;
  /** "every verdict and Holm decision the same", or "decisions differ: z test k=10, …". */
  decisions: string;
  /** Whether any verdict or Holm decision differs. */
  differ: boolean;
}

/** Most differing test names spelled out; the rest are counted. */
const MAX_NAMED = 3;

/** A deviation for a person: "0", "2.1e-6" (two significant digits), "–" when not finite. */
export function deviationText(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const [m, e] = v.toExponential(1).split('e');
  return `${m}e${Number(e)}`;
}

/**
 * The check in words, or null for an epoch without one (the CPU path, older files). Deviations
 * are the GpuCheck's maxima over its probe: ln r and FTLE in ln per step, flip dL and the
 * single-pixel map in nats, Q entries and cosines plain.
 */
export function gpuCheckText(check: GpuCheck | undefined): GpuCheckText | null {
  if (!check) return null;
  const deviations = [
    `ln r ${deviationText(check.maxDevLnR)}`,
    `FTLE ${deviationText(check.maxDevFtle)}`,
    `Q ${deviationText(check.maxDevQ)}`,
    `flip dL ${deviationText(check.maxDevFlipDL)}`,
    `single-pixel ${deviationText(check.maxDevSingle)}`,
    `cosines ${deviationText(check.maxDevCosine)}`,
  ].join(' · ');
  const names = check.decisionsDiffer;
  const differ = names.length > 0;
  const more = names.length > MAX_NAMED ? ` and ${names.length - MAX_NAMED} more` : '';
  const decisions = differ
    ? `decisions differ: ${names.slice(0, MAX_NAMED).join(', ')}${more}`
    : 'every verdict and Holm decision the same';
  return { label: `GPU vs float64 (probe ${check.probe})`, deviations, decisions, differ };
}
