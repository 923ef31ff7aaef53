import { useEffect, useState } from 'react';
import { ENGINE_CHOICES } from '../core/engines';
import { ARCHS } from '../core/formats/arch';
import {
  ANALYSIS_ENGINE_CHOICES,
  ENCODINGS,
  INITS,
  MAX_TRAINING_THREADS,
  OPTIMIZERS,
  RunConfigSchema,
  validateConfig,
  type RunConfig,
} from '../core/formats/config';
import { applyConfig } from '../app/controller';
import { MAX_SEEDS } from '../core/seeds';
import { useRunStore } from '../store/runStore';

type FieldSpec =
  | { key: keyof RunConfig; label: string; kind: 'select'; options: readonly string[] }
  | { key: keyof RunConfig; label: string; kind: 'number'; step?: string }
  /** Free text the schema reads itself (`draws`: auto or a count). */
  | { key: keyof RunConfig; label: string; kind: 'text' };

const FIELDS: FieldSpec[] = [
  { key: 'cell', label: 'Recurrent cell', kind: 'select', options: ARCHS },
  { key: 'encoding', label: 'Sequence encoding', kind: 'select', options: ENCODINGS },
  { key: 'permute', label: 'Permute steps (0/1)', kind: 'number', step: '1' },
  { key: 'hidden', label: 'Hidden units N', kind: 'number', step: '1' },
  { key: 'init', label: 'W_hh init (rnn)', kind: 'select', options: INITS },
  { key: 'gain', label: 'Init gain (rnn)', kind: 'number', step: 'any' },
  { key: 'bias', label: 'Train biases (0/1)', kind: 'number', step: '1' },
  { key: 'optimizer', label: 'Optimiser', kind: 'select', options: OPTIMIZERS },
  { key: 'lr', label: 'Learning rate', kind: 'number', step: 'any' },
  { key: 'batch', label: 'Batch size', kind: 'number', step: '1' },
  { key: 'clip', label: 'Clip grad norm (0 = off)', kind: 'number', step: 'any' },
  { key: 'reduction', label: 'Loss reduction', kind: 'select', options: ['mean', 'sum'] },
  { key: 'epochs', label: 'Epochs', kind: 'number', step: '1' },
  { key: 'subset', label: 'Train fraction / epoch', kind: 'number', step: 'any' },
  { key: 'seed', label: 'Seed', kind: 'number', step: '1' },
  { key: 'seeds', label: `Seeds (1-${MAX_SEEDS}; seed, seed+1, ...)`, kind: 'number', step: '1' },
  { key: 'probes', label: 'Probe digits', kind: 'number', step: '1' },
  { key: 'k', label: 'Q vectors k', kind: 'number', step: '1' },
  { key: 'n', label: 'Score n (mean of ln r_1..n)', kind: 'number', step: '1' },
  // auto: the paper's 50, cut by the CPU budget at large N and T (the panels say so); a number is honoured.
  { key: 'draws', label: 'Random flip draws (auto or a count)', kind: 'text' },
  { key: 'analysis', label: 'Analysis runs on', kind: 'select', options: ANALYSIS_ENGINE_CHOICES },
  { key: 'backend', label: 'Backend', kind: 'select', options: ENGINE_CHOICES },
  // Threads of the hand-written engine (fast-wasm); the schema reads "2" as 2.
  {
    key: 'threads',
    label: 'Training threads (fast engine)',
    kind: 'select',
    options: ['auto', ...Array.from({ length: MAX_TRAINING_THREADS }, (_, i) => String(i + 1))],
  },
];

const NUMERIC = new Set(FIELDS.filter((f) => f.kind === 'number').map((f) => f.key));

/**
 * The run configuration form. Values are validated field by field with the same zod schema that
 * guards the URL hash; "Apply" writes the hash and restarts the run (seeded: same link, same run).
 */
export function ConfigPanel() {
  const config = useRunStore((s) => s.config);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  useEffect(() => {
    if (config) setDraft(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])));
  }, [config]);
  if (!config) return null;

  const apply = () => {
    const candidate: Record<string, unknown> = { ...config };
    const errs: Record<string, string> = {};
    for (const f of FIELDS) {
      const raw = draft[f.key] ?? '';
      const value = NUMERIC.has(f.key) ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
      const r = (
        RunConfigSchema.shape[f.key] as { safeParse: (v: unknown) => { success: boolean; error?: { issues: { message: string }[] } } }
      ).safeParse(value);
      if (!r.success) errs[f.key] = `${f.label}: ${r.error?.issues[0]?.message ?? 'invalid'}`;
      candidate[f.key] = value;
    }
    setProblems(errs);
    if (Object.keys(errs).length > 0) return;
    const v = validateConfig(candidate);
    if (v.config) applyConfig(v.config);
  };

  return (
    <details className="config-panel">
      <summary>Configuration</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <div className="config-grid">
          {FIELDS.map((f) => (
            // biome-ignore lint/a11y/noLabelWithoutControl: the control (select or input) is rendered inside, chosen by f.kind
            <label key={f.key} className={problems[f.key] ? 'invalid' : undefined}>
              <span>{f.label}</span>
              {f.kind === 'select' ? (
                <select name={f.key} value={draft[f.key] ?? ''} onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}>
                  {f.options.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  name={f.key}
                  type="text"
                  inputMode="decimal"
                  value={draft[f.key] ?? ''}
                  aria-invalid={Boolean(problems[f.key])}
                  onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
                />
              )}
              {problems[f.key] && <em className="field-error">{problems[f.key]}</em>}
            </label>
          ))}
        </div>
        <button type="submit" data-testid="apply-config">
          Apply and restart
        </button>
      </form>
    </details>
  );
}
