/**
 * The run lifecycle in a real browser (docs/lifecycle.md).
 *
 * A model-based test: seeded random sequences of what a user does (start, pause, resume, step,
 * reload, reset, change preset, import a run bundle, import a model; and, as a fault, the analysis
 * worker dying). After every action, once
 * the app settles: the state shown equals the training worker's acknowledged state, nothing is
 * wedged (the app settles at all, and exactly the controls the lifecycle allows are enabled),
 * and the epochs are contiguous: snapshots plus epochs awaiting analysis are 0..trained, in the
 * store and, at the end of each sequence, in IndexedDB. A reload keeps every committed epoch and
 * an imported run stays imported.
 *
 * CI runs three short sequences on the quick preset with a small subset; LIFECYCLE_SEQUENCES=20
 * (and LIFECYCLE_ACTIONS=10) runs more, LIFECYCLE_FIRST=k starts at sequence k (to replay one).
 * Also: autostart=1 trains without a click, "Train N more epochs" continues a finished run, and an
 * imported model's accuracy badge reports the bundled test split (declared encoding) or the probe
 * digits (guessed encoding), with the very numbers a float64 evaluation here gives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, openSession, type Session } from './browser';
import { createRng, type Rng } from '../../src/core/rng';
import { controlsFor, type LifecycleState, type RunMode } from '../../src/run/lifecycle';
import { serializeRunBundle } from '../../src/core/formats/bundle';
import { makeBundle, makeWeights } from '../unit/bundleFixture';
import { PRESET_CONFIGS, configFromHash } from '../../src/core/formats/config';
import { parseModelObject } from '../../src/core/formats/model';
import { scoreModel } from '../../src/core/evaluate';
import { deriveSeed } from '../../src/core/rng';
import { loadMnistAsset } from '../../src/data/mnistAsset';
import { encodeImages, probeIndices, sequenceSpec } from '../../src/data/encodings';

/**
 * Which seeded sequences run. CI: three whose first 8 actions cover every action between them
 * (start, pause, step, reload, reset, preset, import bundle, import model, analysis-worker crash).
 * LIFECYCLE_SEQUENCES=n runs sequences LIFECYCLE_FIRST .. LIFECYCLE_FIRST + n - 1.
 */
const SEQUENCE_IDS = process.env.LIFECYCLE_SEQUENCES
  ? Array.from({ length: Number(process.env.LIFECYCLE_SEQUENCES) }, (_, i) => Number(process.env.LIFECYCLE_FIRST ?? 0) + i)
  : [3, 5, 11];
const SEQUENCES = SEQUENCE_IDS.length;
const ACTIONS = Number(process.env.LIFECYCLE_ACTIONS ?? 8);
/** Small, fast runs: 800 digits in 50 batches of 16 per epoch, so a pause lands inside an epoch. */
const RUN = 'epochs=4&subset=0.1&batch=16';

interface Observed {
  status: LifecycleState;
  mode: RunMode;
  worker: { state: LifecycleState; epoch: number; batch: number; batches: number; epochs: number } | null;
  runId: string;
  epochs: number[];
  pending: number[];
  trainedEpoch: number;
  saved: { runId: string; epoch: number; writing: number };
  banners: string[];
  shownState: string | null;
  toggle: { enabled: boolean; label: string };
  step: boolean;
  reset: boolean;
  extend: boolean;
  accSplit: string | null;
}

async function observe(s: Session): Promise<Observed | null> {
  try {
    return await s.page.evaluate(() => {
      const lab = (window as unknown as { ftleLab?: { store: { getState: () => Record<string, unknown> } } }).ftleLab;
      if (!lab) return null;
      const st = lab.store.getState();
      const q = (id: string) => document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement | null;
      const toggle = q('train-toggle');
      return {
        status: st.status,
        mode: st.mode,
        worker: st.worker,
        runId: st.runId,
        epochs: (st.epochs as { epoch: number }[]).map((e) => e.epoch),
        pending: Object.keys(st.pending as object)
          .map(Number)
          .sort((a, b) => a - b),
        trainedEpoch: st.trainedEpoch,
        saved: st.saved,
        banners: (st.banners as { kind: string; message: string }[]).map((b) => `${b.kind}: ${b.message}`),
        shownState: q('run-status')?.getAttribute('data-state') ?? null,
        toggle: { enabled: toggle ? !toggle.disabled : false, label: toggle?.textContent ?? '' },
        step: q('step-epoch') ? !q('step-epoch')!.disabled : false,
        reset: q('reset-run') ? !q('reset-run')!.disabled : false,
        extend: q('train-more') !== null,
        accSplit: q('test-accuracy')?.getAttribute('data-split') ?? null,
      } as never;
    });
  } catch {
    return null; // navigating
  }
}

/** A state the app rests in (the worker has acknowledged it, nothing is half-done). */
function settled(o: Observed | null): boolean {
  if (!o || o.shownState !== o.status) return false;
  if (o.status === 'loading' || o.status === 'pausing' || o.status === 'idle') return false;
  if (o.mode === 'train') return o.worker !== null && o.worker.state === o.status;
  return true;
}

/** Waits until the app settles; a run that never does is wedged, and the test says where. */
async function settle(s: Session, what: string, timeout = 60_000): Promise<Observed> {
  const end = Date.now() + timeout;
  let o: Observed | null = null;
  while (Date.now() < end) {
    o = await observe(s);
    if (settled(o)) return o!;
    await s.page.waitForTimeout(100);
  }
  throw new Error(`wedged after ${what}: ${JSON.stringify(o)}`);
}

/** Polls until `cond` holds (60 s); the error shows the last observation. */
async function untilObserved(s: Session, what: string, cond: (o: Observed) => boolean, timeout = 60_000): Promise<Observed> {
  const end = Date.now() + timeout;
  let o: Observed | null = null;
  while (Date.now() < end) {
    o = await observe(s);
    if (o && cond(o)) return o;
    await s.page.waitForTimeout(100);
  }
  throw new Error(`${what}: not within ${timeout / 1000} s: ${JSON.stringify(o)}`);
}

/** The invariants that hold whenever the app has settled. */
function checkInvariants(o: Observed, what: string): void {
  const where = `after ${what}: ${JSON.stringify(o)}`;
  // UI state == worker state.
  if (o.mode === 'train') {
    expect(o.worker, where).not.toBeNull();
    expect(o.status, where).toBe(o.worker!.state);
    expect(o.trainedEpoch, where).toBe(o.worker!.epoch);
  }
  // Exactly the controls the lifecycle allows are enabled, with the label it gives.
  const c = controlsFor(o.status, o.mode, (o.worker?.batch ?? 0) > 0);
  expect({ toggle: o.toggle.enabled, label: o.toggle.label, step: o.step, reset: o.reset, extend: o.extend }, where).toEqual({
    toggle: c.toggle,
    label: c.toggleLabel,
    step: c.step,
    reset: c.reset,
    extend: c.extend,
  });
  // Epochs contiguous: snapshots, then epochs awaiting analysis, 0..trained with no gap.
  const all = [...o.epochs, ...o.pending].sort((a, b) => a - b);
  if (o.mode === 'train') expect(all, where).toEqual(Array.from({ length: o.trainedEpoch + 1 }, (_, i) => i));
  else expect(o.epochs, where).toEqual(Array.from({ length: o.epochs.length }, (_, i) => i));
  expect(o.epochs, where).toEqual(Array.from({ length: o.epochs.length }, (_, i) => i));
  // No error on the way (a failed save, a stopped worker, an analysis that failed).
  expect(
    o.banners.filter((b) => b.startsWith('error:')),
    where,
  ).toEqual([]);
  for (const b of o.banners) expect(b, where).not.toMatch(/unknown run|Could not save/);
}

/** Waits for every analysis and write of the current run, then compares IndexedDB with the store. */
async function checkStored(s: Session, what: string): Promise<void> {
  // Training stopped first, so the wait is for the analyses and writes of epochs already trained.
  const now = (await observe(s))!;
  if (now.toggle.enabled && now.toggle.label === 'Pause') {
    await s.page.getByTestId('train-toggle').click();
    await settle(s, `${what} > pause before the storage check`, 30_000);
  }
  const end = Date.now() + 180_000;
  let last: Observed | null = null;
  for (;;) {
    last = await observe(s);
    if (last !== null && last.pending.length === 0 && last.saved.runId === last.runId && last.saved.writing === 0) break;
    if (Date.now() > end) throw new Error(`analysis and saves never finished after ${what}: ${JSON.stringify(last)}`);
    await s.page.waitForTimeout(250);
  }
  const o = (await observe(s))!;
  const stored = await s.page.evaluate(async (runId) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('ftle-lab');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const rows = await new Promise<{ epoch: number }[]>((res, rej) => {
      const r = db
        .transaction('snapshots')
        .objectStore('snapshots')
        .getAll(IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]));
      r.onsuccess = () => res(r.result as { epoch: number }[]);
      r.onerror = () => rej(r.error);
    });
    db.close();
    return rows.map((r) => r.epoch).sort((a, b) => a - b);
  }, o.runId);
  expect(stored, `IndexedDB after ${what}`).toEqual(o.epochs);
}

type Action = 'start' | 'pause' | 'step' | 'reload' | 'reset' | 'preset' | 'bundle' | 'model' | 'analyzerCrash';
const ACTION_LIST: Action[] = ['start', 'pause', 'step', 'reload', 'reset', 'preset', 'bundle', 'model', 'analyzerCrash'];
/** Training actions are drawn more often: they are where the lifecycle can go wrong. */
const WEIGHTS: Record<Action, number> = {
  start: 4,
  pause: 4,
  step: 3,
  reload: 3,
  reset: 1,
  preset: 1,
  bundle: 1,
  model: 1,
  analyzerCrash: 1,
};

/** Draws an action the current state offers (Start only when it is offered, Pause only while training). */
function draw(rng: Rng, o: Observed): Action {
  const offered = ACTION_LIST.filter((a) =>
    a === 'start'
      ? o.toggle.enabled && o.toggle.label !== 'Pause'
      : a === 'pause'
        ? o.toggle.enabled && o.toggle.label === 'Pause'
        : a === 'step'
          ? o.step
          : true,
  );
  const total = offered.reduce((a, k) => a + WEIGHTS[k], 0);
  let r = rng.next() * total;
  for (const a of offered) {
    r -= WEIGHTS[a];
    if (r < 0) return a;
  }
  return offered[offered.length - 1];
}

async function act(s: Session, a: Action, rng: Rng, files: { bundle: string; model: string; guessedModel: string }): Promise<string> {
  const { page } = s;
  const before = (await observe(s))!;
  switch (a) {
    case 'start':
    case 'pause': {
      // The one toggle: Start/Resume when it offers that, Pause while training.
      const want = a === 'pause' ? 'Pause' : /Start|Resume/;
      const label = before.toggle.label;
      const fits = typeof want === 'string' ? label === want : want.test(label);
      if (!before.toggle.enabled || !fits) return `${a} (not offered: ${label}${before.toggle.enabled ? '' : ', disabled'})`;
      try {
        await page.getByTestId('train-toggle').click({ timeout: 5_000 });
      } catch {
        // Only a run that finished between looking and clicking may disable the button.
        const now = (await observe(s))!;
        expect(now.status, `${a} refused: ${JSON.stringify(now)}`).toBe('done');
        return `${a} (the run finished first)`;
      }
      if (a === 'pause') {
        // Pause settles within a batch: paused (or done, if it was the last batch).
        const o = await settle(s, 'pause', 30_000);
        expect(['paused', 'done'], JSON.stringify(o)).toContain(o.status);
      } else {
        // Start is acknowledged: the worker trains (or has already finished the last epoch).
        await untilObserved(
          s,
          'start acknowledged',
          (o) => o.worker !== null && (o.worker.state === 'training' || o.worker.state === 'done'),
        );
      }
      return a;
    }
    case 'step': {
      if (!before.step) return 'step (disabled)';
      await page.getByTestId('step-epoch').click();
      // A step ends paused at the next epoch boundary (or done).
      const from = before.worker!.epoch;
      await untilObserved(
        s,
        'step ends at the next epoch boundary',
        (o) => settled(o) && (o.status === 'done' || (o.status === 'paused' && o.worker!.batch === 0 && o.worker!.epoch === from + 1)),
      );
      return 'step';
    }
    case 'reload': {
      // At a random moment: during training, analysis or a save.
      await page.waitForTimeout(Math.floor(rng.next() * 1500));
      const o = (await observe(s))!;
      await page.reload();
      const after = await settle(s, 'reload', 90_000);
      const where = `reload: before ${JSON.stringify(o)}, after ${JSON.stringify(after)}`;
      // Once the run is in storage (a training run's first snapshot, an import's whole write), the
      // reload brings that run back, in its mode, with every committed epoch.
      const committed = o.saved.runId === o.runId && (o.mode === 'train' ? o.saved.epoch >= 0 : o.saved.writing === 0);
      if (committed) {
        expect(after.mode, where).toBe(o.mode);
        expect(after.runId, where).toBe(o.runId);
        const all = [...after.epochs, ...after.pending];
        expect(Math.max(...all), where).toBeGreaterThanOrEqual(o.saved.epoch);
      }
      if (o.mode === 'train') expect(['ready', 'paused', 'done'], where).toContain(after.status);
      // The restore banner says what is true, in agreeing numbers.
      const restoredBanner = after.banners.find((b) => b.startsWith('info: Restored run'));
      if (after.mode === 'train' && restoredBanner) {
        expect(restoredBanner, where).toMatch(/: (1 epoch snapshot|\d+ epoch snapshots)[;.]/);
        expect(restoredBanner, where).not.toMatch(/\b1 epoch snapshots|\b1 epochs\b/);
        if (after.status === 'paused') expect(restoredBanner, where).toMatch(/paused after epoch \d+ of \d+: press Start to continue/);
        if (after.status === 'done') expect(restoredBanner, where).toMatch(/finished/);
      }
      return 'reload';
    }
    case 'reset':
      await page.getByTestId('reset-run').click();
      return 'reset';
    case 'analyzerCrash':
      // Not a user action but a fault: the analysis worker dies; a new one must analyse what was waiting
      // (checked at the end of the sequence: every epoch analysed and stored).
      await page.evaluate(() => (window as unknown as { ftleLab: { simulateAnalyzerCrash: () => void } }).ftleLab.simulateAnalyzerCrash());
      await page.waitForTimeout(200);
      return 'analysis worker crash';
    case 'preset': {
      const next = (await page.getByTestId('preset-select').inputValue()) === 'quick' ? 'paper-align' : 'quick';
      await page.getByTestId('preset-select').selectOption(next);
      // Keep the new preset's runs as small as this test's (a preset brings full-size epochs).
      await settle(s, `preset ${next}`, 90_000);
      await page.locator('details.config-panel > summary').click();
      await page.locator('details.config-panel input[name="subset"]').fill('0.1');
      await page.locator('details.config-panel input[name="epochs"]').fill('4');
      await page.locator('details.config-panel input[name="batch"]').fill(String(PRESET_CONFIGS[next].batch === 128 ? 32 : 16));
      // And its analysis as small (paper-align's 25 probes x 50 flip draws at N = 128 take a while on 2 cores).
      await page.locator('details.config-panel input[name="probes"]').fill('8');
      await page.locator('details.config-panel input[name="draws"]').fill('10');
      await page.getByTestId('apply-config').click();
      await page.locator('details.config-panel > summary').click();
      return `preset ${next}`;
    }
    case 'bundle':
      await page.getByTestId('import-file').setInputFiles(files.bundle);
      await expect.poll(async () => (await observe(s))?.mode, { timeout: 30_000 }).toBe('replay');
      return 'import bundle';
    case 'model': {
      const guessed = rng.next() < 0.5;
      await page.getByTestId('import-file').setInputFiles(guessed ? files.guessedModel : files.model);
      await expect.poll(async () => (await observe(s))?.mode, { timeout: 30_000 }).toBe('model');
      const o = await settle(s, 'import model', 90_000);
      // With its encoding declared, the model is scored on the test split; guessed, on the probes (and it says so).
      expect(o.accSplit).toBe(guessed ? 'probes' : 'test');
      return `import model (${guessed ? 'guessed encoding' : 'declared encoding'})`;
    }
  }
}

describe('run lifecycle', () => {
  const dirs: string[] = [];
  let session: Session | null = null;
  afterEach(async () => {
    await session?.close();
    session = null;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function profile(): string {
    const d = mkdtempSync(join(tmpdir(), 'ftle-lab-lifecycle-'));
    dirs.push(d);
    return d;
  }

  it(
    `model-based: ${SEQUENCES} seeded sequences of ${ACTIONS} actions keep UI and worker in step, never wedge, never lose an epoch`,
    async () => {
      const dir = profile();
      const files = { bundle: join(dir, 'run.json'), model: join(dir, 'model.json'), guessedModel: join(dir, 'guessed.model.json') };
      writeFileSync(files.bundle, serializeRunBundle(makeBundle(21, { epochs: 3 })));
      const w = makeWeights(createRng(22), { ...PRESET_CONFIGS.quick, hidden: 16 });
      writeFileSync(files.model, JSON.stringify(w));
      const { input: _input, ...noInput } = w as Record<string, unknown>;
      writeFileSync(files.guessedModel, JSON.stringify(noInput));
      const log: string[] = [];
      for (const seq of SEQUENCE_IDS) {
        const rng = createRng(1000 + seq);
        session = await openSession({ width: 1366, height: 768 }, profile());
        await session.page.goto(`${baseURL()}#preset=quick&${RUN}&seed=${seq + 1}`);
        let o = await settle(session, 'boot', 90_000);
        checkInvariants(o, 'boot');
        const done: string[] = [];
        try {
          for (let i = 0; i < ACTIONS; i++) {
            const a = draw(rng, o);
            done.push(a);
            done[done.length - 1] = await act(session, a, rng, files);
            o = await settle(session, done.join(' > '), 90_000);
            checkInvariants(o, done.join(' > '));
          }
          await checkStored(session, done.join(' > '));
        } catch (e) {
          throw new Error(`sequence ${seq} (seed ${1000 + seq}): ${done.join(' > ')}: ${(e as Error).message}`);
        }
        const end = (await observe(session))!;
        log.push(`sequence ${seq}: ${done.join(' > ')} -> ${end.mode} ${end.status} epochs ${end.epochs.join(',')}`);
        expect(session.errors, done.join(' > ')).toEqual([]);
        await session.close();
        session = null;
      }
      console.log(log.join('\n'));
    },
    Math.max(240_000, SEQUENCES * ACTIONS * 25_000),
  );

  it('autostart=1 trains without a click; "Train N more epochs" continues the finished run', async () => {
    session = await openSession({ width: 1366, height: 768 }, profile());
    const s = session;
    await s.page.goto(`${baseURL()}#preset=quick&epochs=1&subset=0.05&batch=16&seed=4&autostart=1`);
    // Nobody clicks: the run trains its epoch and finishes.
    await untilObserved(s, 'autostart trains to the end without a click', (x) => settled(x) && x.status === 'done', 120_000);
    const o = (await observe(s))!;
    expect(o.trainedEpoch).toBe(1);
    const runId = o.runId;
    expect(await s.page.getByTestId('epoch-label').textContent()).toBe('epoch 1 / 1');
    await s.page.getByTestId('train-more-count').fill('2');
    await s.page.getByTestId('train-more').click();
    await expect.poll(async () => (await observe(s))?.trainedEpoch, { timeout: 90_000 }).toBe(3);
    const end = await settle(s, 'train more', 90_000);
    expect(end.status).toBe('done');
    // The same run went on: same id, epochs 0..3, the URL says epochs=3 and still autostart=1.
    expect(end.runId).toBe(runId);
    expect(await s.page.getByTestId('epoch-label').textContent()).toBe('epoch 3 / 3');
    await checkStored(s, 'train more');
    expect((await observe(s))!.epochs).toEqual([0, 1, 2, 3]);
    const hash = await s.page.evaluate(() => window.location.hash);
    expect(configFromHash(hash).config.epochs).toBe(3);
    expect(hash).toMatch(/autostart=1/);
    checkInvariants(end, 'train more');
    expect(s.errors).toEqual([]);
  });

  it('an imported model reports its accuracy on the bundled test split when its encoding is declared, else on the probe digits, and says which', async () => {
    const dir = profile();
    const raw = JSON.parse(readFileSync('test/fixtures/rnn_n16_t28_d28_trained.model.json', 'utf8')) as Record<string, unknown>;
    const declared = { ...raw, input: { encoding: 'row', permutation: null, normalize: null } };
    writeFileSync(join(dir, 'declared.model.json'), JSON.stringify(declared));
    writeFileSync(join(dir, 'guessed.model.json'), JSON.stringify(raw));
    // What the app must report, computed here in float64 with the same data.
    const ds = await loadMnistAsset(readFileSync('public/data/mnist-10k.bin'));
    const spec = sequenceSpec('row', null);
    const all = Int32Array.from({ length: ds.test.labels.length }, (_, i) => i);
    const onTest = scoreModel(parseModelObject(declared), encodeImages(ds.test.images, all, spec), ds.test.labels, spec.T, spec.D);
    const probes = probeIndices(ds, 16, deriveSeed(4, 'probes'));
    const onProbes = scoreModel(
      parseModelObject(raw),
      encodeImages(ds.test.images, probes, spec),
      Array.from(probes, (i) => ds.test.labels[i]),
      spec.T,
      spec.D,
    );

    session = await openSession({ width: 1366, height: 768 }, profile());
    const s = session;
    await s.page.goto(`${baseURL()}#preset=quick&seed=4&${RUN}`);
    await settle(s, 'boot', 90_000);
    const accuracy = async () => {
      await expect.poll(async () => (await observe(s))?.mode, { timeout: 60_000 }).toBe('model');
      const o = await settle(s, 'import model', 90_000);
      expect(o.mode).toBe('model');
      const acc = await s.page.evaluate(() => {
        const st = (
          window as unknown as { ftleLab: { store: { getState: () => { epochs: { metrics: { testAcc: number } }[] } } } }
        ).ftleLab.store.getState();
        return st.epochs[0].metrics.testAcc;
      });
      return { acc, badge: (await s.page.getByTestId('test-accuracy').textContent()) ?? '', split: o.accSplit };
    };
    await s.page.getByTestId('import-file').setInputFiles(join(dir, 'declared.model.json'));
    const a = await accuracy();
    expect(a.split).toBe('test');
    expect(a.acc).toBe(onTest.acc);
    expect(a.badge).toBe(`test acc ${(onTest.acc * 100).toFixed(1)}%`);
    expect(onTest.count).toBe(ds.test.labels.length);

    await s.page.getByTestId('import-file').setInputFiles(join(dir, 'guessed.model.json'));
    await expect.poll(async () => (await observe(s))?.accSplit, { timeout: 60_000 }).toBe('probes');
    const b = await accuracy();
    expect(b.acc).toBe(onProbes.acc);
    expect(b.badge).toBe(`probe acc (16 digits) ${(onProbes.acc * 100).toFixed(1)}%`);
    console.log(
      `[e2e] imported model: test split ${(onTest.acc * 100).toFixed(1)}% (${onTest.count} digits), probe digits ${(onProbes.acc * 100).toFixed(1)}%`,
    );
    expect(s.errors).toEqual([]);
  });
});
