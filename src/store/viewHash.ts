/**
 * The view half of the URL hash: what is selected (epoch, probe, score n, colour normalisation,
 * log base, flip preview k, overlap m), the controls a classroom link hides, and `autostart=1`. The run half is the RunConfig
 * (core/formats/config.ts); both share one hash so a link reproduces run and view.
 * Invalid view values are ignored (they cannot hurt a run), never thrown.
 */
import { configToHash } from '../core/formats/config';
import type { NormMode, RunState } from './runStore';

/** The store fields that make up the view half of the hash (one list: parse, write and sync use it). */
export const VIEW_KEYS = ['selectedEpoch', 'selectedProbe', 'scoreN', 'normMode', 'logBase', 'flipK', 'overlapM', 'hidden', 'autostart'] as const;
export type ViewState = Pick<RunState, (typeof VIEW_KEYS)[number]>;

/** What a classroom link can hide (as TensorFlow Playground does): `hide=config,files`. */
export const HIDEABLE = ['preset', 'config', 'files', 'runs', 'tour'] as const;
export type HideKey = (typeof HIDEABLE)[number];
/** `classroom=1` without `hide`: everything but the run controls and the panels. */
export const CLASSROOM_DEFAULT: HideKey[] = ['config', 'files', 'runs'];

const NORMS: NormMode[] = ['probe', 'epoch', 'all'];

function intParam(p: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const raw = p.get(key);
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  const v = Number(raw);
  return v >= min && v <= max ? v : undefined;
}

/** Reads the view keys of a hash; absent or invalid keys are left out. */
export function viewFromHash(hash: string): Partial<ViewState> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const out: Partial<ViewState> = {};
  const sel = intParam(p, 'sel', 0, 100000);
  if (sel !== undefined) out.selectedEpoch = sel;
  const probe = intParam(p, 'probe_sel', 0, 4095);
  if (probe !== undefined) out.selectedProbe = probe;
  const n = intParam(p, 'view_n', 1, 1024);
  if (n !== undefined) out.scoreN = n;
  const norm = p.get('norm');
  if (norm && (NORMS as string[]).includes(norm)) out.normMode = norm as NormMode;
  if (p.get('log2') === '1') out.logBase = '2';
  const fk = intParam(p, 'flipk', 1, 784);
  if (fk !== undefined) out.flipK = fk;
  const m = intParam(p, 'm', 1, 1024);
  if (m !== undefined) out.overlapM = m;
  const hide = p.get('hide');
  if (hide !== null) out.hidden = hide.split(',').filter((h): h is HideKey => (HIDEABLE as readonly string[]).includes(h));
  else if (p.get('classroom') === '1') out.hidden = [...CLASSROOM_DEFAULT];
  // `autostart=1`: a classroom link that starts training on load, without a click.
  if (p.get('autostart') === '1') out.autostart = true;
  return out;
}

/** The full hash for the current run config and view (only non-default view keys are written). */
export function hashFor(s: Pick<RunState, 'config'> & ViewState): string {
  const extra: Record<string, string | number> = {};
  if (s.selectedEpoch !== null) extra.sel = s.selectedEpoch;
  if (s.selectedProbe !== 0) extra.probe_sel = s.selectedProbe;
  if (s.scoreN !== s.config.n) extra.view_n = s.scoreN;
  if (s.normMode !== 'probe') extra.norm = s.normMode;
  if (s.logBase === '2') extra.log2 = 1;
  if (s.flipK !== 10) extra.flipk = s.flipK;
  if (s.overlapM !== 3) extra.m = s.overlapM;
  if (s.hidden.length) extra.hide = s.hidden.join(',');
  if (s.autostart) extra.autostart = 1;
  return configToHash(s.config, extra);
}
