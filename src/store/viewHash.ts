/**
 * The view half of the URL hash: what is selected (epoch, probe, score n, colour normalisation,
 * log base, flip preview k, overlap m), the controls a classroom link hides and `autostart`. The run half is
 * the RunConfig (core/formats/config.ts); both share one hash so a link reproduces run and view.
 *
 * VIEW_PARAMS is the one table of view parameters, as TensorFlow Playground's state.ts keeps one
 * PROPS table: each row gives the store field, its URL key (the field name itself, except
 * `hide`), the older spellings still read, the default, and how a value is parsed and written.
 * The store's initial view, boot from the hash, and the hash written back all come from it.
 * An invalid value is reported naming its key (like an invalid config key) and the default kept:
 * it cannot hurt a run.
 */
import { ANALYSIS_DEFAULTS } from '../core/analysis/analysisDefaults';
import { configToHash, type ConfigIssue, type RunConfig } from '../core/formats/config';
import { STORY_SIZES, type StorySize } from '../core/story';

/** What a classroom link can hide (as TensorFlow Playground does): `hide=config,files`. */
export const HIDEABLE_CONTROLS = ['preset', 'config', 'files', 'runs', 'tour'] as const;
export type HideableControl = (typeof HIDEABLE_CONTROLS)[number];
/** `classroom=1` without `hide`: everything but the run controls and the panels. */
export const CLASSROOM_DEFAULT: HideableControl[] = ['config', 'files', 'runs'];

export type NormMode = 'probe' | 'epoch' | 'all';

/** The view half of the run store's state (store/runStore.ts RunState extends it): what the hash's view keys set. */
export interface ViewFields {
  /** null = follow the newest snapshot. */
  selectedEpoch: number | null;
  selectedProbe: number;
  /** s_t(n): how many ln r's the heatmap score averages. */
  scoreN: number;
  normMode: NormMode;
  logBase: 'e' | '2';
  flipK: number;
  overlapM: number;
  /** Controls hidden by a classroom link (URL `hide=` / `classroom=1`); not hidden units (config.hidden). */
  hiddenControls: HideableControl[];
  /** `autostart=1` in the link: training starts on load. */
  autostart: boolean;
  /** Which page the link shows: the training workbench ('run') or the edge-of-chaos view ('chaos'). */
  view: 'run' | 'chaos';
  /** Edge-of-chaos view: weight gain g (0.2..3), hidden units (2..512), input (none or the probe digits). */
  gain: number;
  chaosHidden: number;
  chaosInput: 'zero' | 'probe';
  /** `story=claim`: the guided story "Check the claim" is open. */
  story: 'off' | 'claim';
  /** `storySize=`: the story's run sizes; auto = paper with a GPU, lecture on a CPU. */
  storySize: 'auto' | StorySize;
}

const NORMS: readonly NormMode[] = ['probe', 'epoch', 'all'];

/** A parsed value, or the reason the text is not one (shown after `invalid key="value": `). */
type Parsed<V> = { value: V } | { error: string };

/** One view parameter: store field `field`, written under `key`, also read under `aliases`. */
interface ViewParam<F extends keyof ViewFields> {
  field: F;
  key: string;
  /**
   * Older URL spellings, each with its own value syntax. A `shorthand` is read only when the
   * key itself is absent (`classroom=1` applies without `hide`).
   */
  aliases: { key: string; parse: (raw: string) => Parsed<ViewFields[F]>; shorthand?: true }[];
  /** The value when the hash does not give one (some depend on the run config). */
  defaultValue: (config: RunConfig | undefined) => ViewFields[F];
  parse: (raw: string) => Parsed<ViewFields[F]>;
  format: (value: ViewFields[F]) => string;
}

const intIn =
  (min: number, max: number, what: string) =>
  (raw: string): Parsed<number> => {
    const v = Number(raw);
    return /^\d+$/.test(raw) && v >= min && v <= max ? { value: v } : { error: `expected ${what}, an integer in ${min}..${max}` };
  };
const oneOf =
  <V extends string>(values: readonly V[]) =>
  (raw: string): Parsed<V> =>
    (values as readonly string[]).includes(raw) ? { value: raw as V } : { error: `expected ${values.join(' | ')}` };

function parseHidden(raw: string): Parsed<HideableControl[]> {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = parts.filter((p) => !(HIDEABLE_CONTROLS as readonly string[]).includes(p));
  if (bad.length)
    return {
      error: `unknown control${bad.length > 1 ? 's' : ''} ${bad.map((b) => `"${b}"`).join(', ')} (expected a comma list of ${HIDEABLE_CONTROLS.join(' | ')})`,
    };
  return { value: [...new Set(parts)] as HideableControl[] };
}

const param = <F extends keyof ViewFields>(p: ViewParam<F>): ViewParam<F> => p;
/** A view parameter keyed by its field name, written with String, with (optionally) one older spelling read by the same parser. */
const plainParam = <F extends keyof ViewFields>(
  field: F,
  defaultValue: ViewParam<F>['defaultValue'],
  parse: ViewParam<F>['parse'],
  alias?: string,
): ViewParam<F> => param({ field, key: field, defaultValue, parse, format: String, aliases: alias ? [{ key: alias, parse }] : [] });

/** THE table of view parameters (see the file comment). */
export const VIEW_PARAMS = [
  plainParam('selectedEpoch', () => null, intIn(0, 100_000, 'an epoch'), 'sel'),
  plainParam('selectedProbe', () => 0, intIn(0, 4095, 'a probe index'), 'probe_sel'),
  plainParam('scoreN', (c) => c?.n ?? ANALYSIS_DEFAULTS.n, intIn(1, 1024, 'the score n'), 'view_n'),
  plainParam('normMode', () => 'probe', oneOf(NORMS), 'norm'),
  param({
    field: 'logBase',
    key: 'logBase',
    defaultValue: () => 'e',
    parse: oneOf(['e', '2'] as const),
    format: String,
    aliases: [
      {
        key: 'log2',
        parse: (raw) => (raw === '1' ? { value: '2' } : raw === '0' ? { value: 'e' } : { error: 'expected 1 (bits) or 0 (nats)' }),
      },
    ],
  }),
  plainParam('flipK', () => 10, intIn(1, 784, 'a flip k'), 'flipk'),
  plainParam('overlapM', () => 3, intIn(1, 1024, 'a subspace size m'), 'm'),
  param({
    field: 'hiddenControls',
    key: 'hide',
    defaultValue: () => [],
    parse: parseHidden,
    format: (v) => v.join(','),
    // `classroom=1` is shorthand for the classroom default set.
    aliases: [
      {
        key: 'classroom',
        shorthand: true,
        parse: (raw) => (raw === '1' ? { value: [...CLASSROOM_DEFAULT] } : raw === '0' ? { value: [] } : { error: 'expected 1' }),
      },
    ],
  }),
  // The edge-of-chaos view (method.md §8): `view=chaos&gain=1.5&chaosHidden=64&chaosInput=probe`.
  plainParam('view', () => 'run', oneOf(['run', 'chaos'] as const)),
  plainParam(
    'gain',
    () => 1.5,
    (raw) => {
      const v = Number(raw);
      return raw.trim() !== '' && Number.isFinite(v) && v >= 0.2 && v <= 3 ? { value: v } : { error: 'expected a gain g in 0.2..3' };
    },
  ),
  plainParam('chaosHidden', () => 64, intIn(2, 512, 'hidden units of the chaos view')),
  plainParam('chaosInput', () => 'zero', oneOf(['zero', 'probe'] as const)),
  // `autostart=1`: a classroom link that starts training on load, without a click.
  param({
    field: 'autostart',
    key: 'autostart',
    defaultValue: () => false,
    parse: (raw) =>
      raw === '1' ? { value: true } : raw === '0' ? { value: false } : { error: 'expected 1 (start training on load) or 0' },
    format: (v) => (v ? '1' : '0'),
    aliases: [],
  }),
  // `story=claim`: the guided story "Check the claim" is open (src/ui/Story.tsx).
  plainParam('story', () => 'off', oneOf(['off', 'claim'] as const)),
  // `storySize=glance|lecture|paper`: the story's run sizes (core/story.ts); auto = paper with a GPU, else lecture.
  plainParam('storySize', () => 'auto', oneOf(['auto', ...STORY_SIZES] as const)),
] as const;

/** The store fields that make up the view half of the hash. */
export const VIEW_KEYS = VIEW_PARAMS.map((p) => p.field);
export type ViewField = (typeof VIEW_PARAMS)[number]['field'];
export type ViewState = Pick<ViewFields, ViewField>;

/** Every view field at its default (scoreN follows the run's n). */
export function defaultView(config?: RunConfig): ViewState {
  const out = {} as Record<string, unknown>;
  for (const p of VIEW_PARAMS) out[p.field] = p.defaultValue(config);
  return out as ViewState;
}

const shown = (raw: string) => (raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/**
 * Reads the view of a hash: every field at its default unless the hash gives a valid value under
 * its key or an older spelling (`sel`, `probe_sel`, `view_n`, `norm`, `log2`, `flipk`, `m`,
 * `classroom=1`). Each invalid or repeated value is an issue naming the key as written.
 */
export function viewFromHash(hash: string, config?: RunConfig): { view: ViewState; issues: ConfigIssue[] } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const view = defaultView(config) as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  for (const p of VIEW_PARAMS as readonly ViewParam<ViewField>[]) {
    const spellings = [{ key: p.key, parse: p.parse }, ...p.aliases.filter((a) => !(a.shorthand && params.has(p.key)))];
    const given = spellings.flatMap((s) => params.getAll(s.key).map((raw) => ({ ...s, raw })));
    if (given.length === 0) continue;
    if (given.length > 1) {
      issues.push({
        key: p.key,
        message: `${given
          .map((g) => g.key)
          .filter((k, i, a) => a.indexOf(k) === i)
          .join(' / ')} given ${given.length} times; give ${p.key} once`,
      });
      continue;
    }
    const { key, raw, parse } = given[0];
    const r = parse(raw);
    if ('value' in r) view[p.field] = r.value;
    else issues.push({ key, message: `invalid ${key}="${shown(raw)}": ${r.error}` });
  }
  return { view: view as ViewState, issues };
}

/** The full hash for the current run config and view: only non-default view values, under their keys. */
export function hashFor(s: { config: RunConfig } & ViewState): string {
  const defaults = defaultView(s.config);
  const extra: Record<string, string> = {};
  for (const p of VIEW_PARAMS as readonly ViewParam<ViewField>[]) {
    const value = s[p.field];
    if (JSON.stringify(value) !== JSON.stringify(defaults[p.field])) extra[p.key] = p.format(value);
  }
  return configToHash(s.config, extra);
}
