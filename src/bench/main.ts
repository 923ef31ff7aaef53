/**
 * The in-browser bench page (bench.html): times training steps of every engine the app can train
 * with in this browser, built through the same engine registry as the training worker (so a
 * registry entry added for a new engine is benched too), then publishes
 * window.__benchResult = {results, webgl_renderer, user_agent, errors} for scripts/bench.mjs.
 * Query: ?configs=T:N,...&engines=<engine ids> (default: every engine in the registry but tfjs-cpu)
 * &threads=1,2 (the hand-written engine on each W; rows then carry `threads`).
 * ?switches=K instead: K engine switches through the registry over every available engine (T = 28,
 * N = 32, batch 16), published as window.__switchResult (test/e2e/engines.e2e.ts checks nothing grows).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ENGINE_IDS, ENGINE_KIND, normalizeEngineId, type EngineId } from '../core/engines';
import { browserEngineRegistry } from '../model/browserEngines';
import {
  TRAIN_CONFIGS,
  repsFor,
  benchTrainer,
  benchModelOptions,
  engineSwitches,
  type SwitchRow,
  type TrainConfig,
  type TrainRow,
} from './trainBench';

declare global {
  interface Window {
    __benchResult?: { results: TrainRow[]; webgl_renderer: string; user_agent: string; errors: string[] };
    /** ?switches=K: the memory after each of K engine switches (engineSwitches), or the error. */
    __switchResult?: { engines: EngineId[]; rows: SwitchRow[]; error?: string };
  }
}

/** The WebGL renderer string (SwiftShader when software-rendered), or "none". */
function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'none';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const configs: TrainConfig[] = q.get('configs')
    ? q
        .get('configs')!
        .split(',')
        .map((s) => {
          const [T, N] = s.split(':').map(Number);
          return { T, D: T === 28 ? 28 : 1, N, B: 64 };
        })
    : TRAIN_CONFIGS;
  // Some tfjs backend must be live before tf.memory() is read (rows of non-tfjs engines read it too).
  await tf.ready();
  const registry = browserEngineRegistry(document.baseURI);
  if (q.get('switches')) {
    const engines: EngineId[] = [];
    for (const id of ENGINE_IDS) if (registry[id] && (await registry[id].available()).ok) engines.push(id);
    try {
      window.__switchResult = {
        engines,
        rows: await engineSwitches(registry, engines, Number(q.get('switches')), { T: 28, D: 28, N: 32, B: 16 }),
      };
    } catch (err) {
      window.__switchResult = { engines, rows: [], error: (err as Error).message };
    }
    document.getElementById('out')!.textContent = JSON.stringify(window.__switchResult, null, 1);
    return;
  }
  const asked = q.get('engines') ?? q.get('backends');
  const engines = asked
    ? asked.split(',').map((e) => normalizeEngineId(e) as string)
    : // tfjs-cpu is benched in Node (the same code; a T = 784 step takes seconds).
      ENGINE_IDS.filter((id) => registry[id] !== undefined && id !== 'tfjs-cpu');
  // Thread counts for the threaded engines (fast-wasm, fast-js); other engines train on one.
  const threadList = (q.get('threads') ?? '1')
    .split(',')
    .map(Number)
    .filter((w) => Number.isInteger(w) && w >= 1);
  const out = document.getElementById('out')!;
  const results: TrainRow[] = [];
  const errors: string[] = [];
  for (const c of configs) {
    for (const e of engines) {
      try {
        if (!(ENGINE_IDS as readonly string[]).includes(e)) throw new Error(`unknown engine (expected ${ENGINE_IDS.join(' | ')})`);
        const id = e as EngineId;
        const entry = registry[id];
        if (!entry) throw new Error('not in this build');
        const a = await entry.available();
        if (!a.ok) throw new Error(a.why);
        const { warmup, reps } = repsFor(c.T, id.startsWith('tfjs'));
        const gpu = ENGINE_KIND[id].device === 'GPU' ? a.info.renderer : undefined;
        for (const w of entry.threaded ? threadList : [1]) {
          const trainer = await entry.create(benchModelOptions(c), w);
          const got = trainer.threads ?? 1;
          const row = await benchTrainer(id, trainer, c, warmup, reps, 'chromium', gpu);
          if (entry.threaded && threadList.length > 1) row.threads = got;
          results.push(row);
          out.textContent = results
            .map((r) => `${r.backend}${r.threads ? ` x${r.threads}` : ''} T=${r.T} N=${r.N}: ${r.median_ms} ms`)
            .join('\n');
          console.log(
            `[bench] ${row.backend}${row.threads ? ` x${row.threads}` : ''} T=${c.T} N=${c.N}: median ${row.median_ms} ms (min ${row.min_ms}, max ${row.max_ms})`,
          );
        }
      } catch (err) {
        errors.push(`${e} T=${c.T} N=${c.N}: ${(err as Error).message}`);
      }
      // Let the page breathe between runs (timers, GC).
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  console.log(`[bench] live tensors at the end: ${tf.memory().numTensors}`);
  window.__benchResult = { results, webgl_renderer: webglRenderer(), user_agent: navigator.userAgent, errors };
}

void main();
