/**
 * Engine ids (one list, old spellings mapped), the registry (fallbacks, lost contexts, switching),
 * and auto's steady-state choice, driven by fake trainers on a fake clock (never timed for real).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  ENGINE_CHOICES,
  ENGINE_IDS,
  LEGACY_BACKEND_NAMES,
  engineBadgeText,
  engineLabel,
  engineTooltip,
  type EngineId,
  type EngineInfo,
} from '../../src/core/engines';
import { PRESET_CONFIGS, configFromHash, validateConfig } from '../../src/core/formats/config';
import {
  CELL_REFUSAL,
  FUSED_CELLS,
  autoThreadCandidates,
  buildModel,
  chooseEngine,
  chooseThreads,
  fastEngineEntries,
  openEngine,
  recheckEngine,
  recoverEngine,
  swapTrainer,
  tfjsCpuStart,
  tfjsEngineEntry,
  trainerLost,
  trainerThreads,
  withThreads,
  type EngineEntry,
  type EngineRegistry,
} from '../../src/model/engines';
import { prefixSteps, timeEngines, type TimingBatch } from '../../src/model/engineTiming';
import { fastTrainer, type Trainer } from '../../src/model/trainer';
import type { HelperPort } from '../../src/model/fast/threaded';
import { tsWorker } from '../../src/model/fast/threadedNode';
import { createWasmTrainingKernels } from '../../src/model/fast/wasmKernels';
import { resolveRunOptions, runModelOptions } from '../../src/run/options';
import { specForConfig } from '../../src/data/encodings';
import { createRng } from '../../src/core/rng';
import type { RnnModelOptions } from '../../src/model/rnn';
import type { RnnWeights } from '../../src/model/init';
import { wasmSimdAvailable } from '../../src/core/kernels/wasm';

const WASM_BYTES = readFileSync('public/kernels/fast_rnn.wasm');

describe('engine ids: one list, old spellings mapped', () => {
  it('maps every old backend= spelling, in links and in saved configs', () => {
    expect(LEGACY_BACKEND_NAMES).toEqual({ webgl: 'tfjs-webgl', wasm: 'fast-wasm', cpu: 'tfjs-cpu' });
    for (const [old, id] of Object.entries(LEGACY_BACKEND_NAMES)) {
      const r = configFromHash(`#preset=quick&backend=${old}`);
      expect(r.issues).toEqual([]);
      expect(r.config.backend).toBe(id);
      expect(validateConfig({ ...PRESET_CONFIGS.quick, backend: old }).config?.backend).toBe(id);
    }
    for (const id of ENGINE_CHOICES) expect(configFromHash(`#backend=${id}`).config.backend).toBe(id);
    // fast-js is recorded, never requested; an unknown engine is refused by name.
    expect(configFromHash('#backend=fast-js').issues[0].key).toBe('backend');
    expect(configFromHash('#backend=quantum').issues[0].key).toBe('backend');
  });

  it('every choice but auto is an engine id, and no other source file spells the list out again', () => {
    expect(ENGINE_CHOICES.filter((c) => c !== 'auto').every((c) => (ENGINE_IDS as readonly string[]).includes(c))).toBe(true);
    // The list's distinctive run of ids may appear only in core/engines.ts: config, snapshot,
    // bundle and the bench import it (a copy elsewhere would drift).
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|tsx|mjs)$/.test(f)) files.push(p);
      }
    };
    walk('src');
    walk('scripts');
    const copies = files.filter((f) => /'tfjs-webgl',\s*'tfjs-wasm',\s*'tfjs-cpu'|fast-wasm-simd/.test(readFileSync(f, 'utf8')));
    expect(copies).toEqual(['src/core/engines.ts']);
    for (const f of [
      'src/core/formats/config.ts',
      'src/core/snapshot.ts',
      'src/core/formats/bundle.ts',
      'src/bench/main.ts',
      'scripts/bench-node.mjs',
    ]) {
      expect(readFileSync(f, 'utf8'), f).toMatch(
        /from '\.\.\/(\.\.\/)?(src\/)?core\/engines(\.ts)?'|from '\.\/engines'|from '\.\.\/engines'/,
      );
    }
  });

  it('says in plain words where the engine runs, and float32 in the tooltip', () => {
    const info = (engine: EngineId, renderer = 'r'): EngineInfo => ({ engine, renderer, floatPrecision: 32 });
    expect(engineBadgeText(info('fast-wasm'))).toBe('CPU · WebAssembly SIMD');
    expect(engineBadgeText(info('fast-js'))).toBe('CPU · JavaScript');
    expect(engineBadgeText(info('tfjs-webgl', 'ANGLE (NVIDIA H100)'))).toBe('GPU · WebGL · ANGLE (NVIDIA H100)');
    expect(engineBadgeText(info('fused-webgpu', 'NVIDIA H100 80GB HBM3'))).toBe('GPU · WebGPU · NVIDIA H100 80GB HBM3');
    const t = engineTooltip({
      ...info('tfjs-webgl', 'ANGLE'),
      fallbackReason: 'fused-webgl: not in this build',
      note: 'auto: tfjs-webgl 60.0 ms/step',
    });
    expect(t).toMatch(/float32/);
    expect(t).toMatch(/fallback: fused-webgl: not in this build/);
    expect(t).toMatch(/auto: tfjs-webgl 60\.0 ms\/step/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fake engines on a fake clock: a step costs `compile` the first time, then overhead + perStep * T.

interface Cost {
  compile?: number;
  overhead?: number;
  perStep: number;
}

function fakeWorld() {
  let clock = 0;
  const calls: Record<string, number[]> = {};
  const now = () => clock;
  const trainer = (id: string, cost: Cost, extra: Partial<Trainer> = {}): Trainer => {
    let first = true;
    let w: RnnWeights | null = null;
    calls[id] ??= [];
    return {
      engine: id,
      reduction: 'mean',
      async trainBatch(_x, _l, _B, T) {
        calls[id].push(T);
        clock += (first ? (cost.compile ?? 0) : 0) + (cost.overhead ?? 0) + cost.perStep * T;
        first = false;
        return { loss: 1, correct: 0 };
      },
      evaluate: async () => ({ loss: 1, acc: 0 }),
      getWeights: async () => w!,
      setWeights: (x) => {
        w = x as RnnWeights;
      },
      dispose: () => undefined,
      ...extra,
    };
  };
  return {
    now,
    calls,
    trainer,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const batch = (T: number): TimingBatch => ({ x: new Float32Array(4 * T), labels: new Int32Array(4), B: 4, T, D: 1 });

describe('auto: steady-state timing', () => {
  it('excludes warm-up: a slow first step (shader compilation) does not hide the faster engine', async () => {
    const f = fakeWorld();
    const r = await timeEngines(
      [
        { id: 'fast-wasm', create: async () => f.trainer('fast-wasm', { perStep: 0.2 }) },
        { id: 'tfjs-webgl', create: async () => f.trainer('tfjs-webgl', { compile: 2134, overhead: 1, perStep: 0.1 }) },
      ],
      batch(196),
      { now: f.now },
    );
    expect(r.best).toBe('tfjs-webgl');
    // Steady state exactly: 1 + 0.1 * 196 ms, not the 2,134 ms first step nor a mean with it.
    expect(r.timings.find((t) => t.id === 'tfjs-webgl')!.msPerStep).toBeCloseTo(20.6, 9);
    expect(r.timings.find((t) => t.id === 'fast-wasm')!.msPerStep).toBeCloseTo(39.2, 9);
    // Several timed steps after a full-T warm-up, for both.
    expect(r.timings.every((t) => (t.steps ?? 0) >= 3)).toBe(true);
  });

  it('drops a hopeless engine from its short probe without ever running a full T = 784 step', async () => {
    const f = fakeWorld();
    const r = await timeEngines(
      [
        { id: 'tfjs-webgl', create: async () => f.trainer('tfjs-webgl', { compile: 3000, perStep: 60 }) },
        { id: 'fast-wasm', create: async () => f.trainer('fast-wasm', { perStep: 0.35 }) },
      ],
      batch(784),
      { now: f.now },
    );
    expect(r.best).toBe('fast-wasm');
    expect(f.calls['tfjs-webgl'].every((T) => T <= 16)).toBe(true);
    const t = r.timings.find((x) => x.id === 'tfjs-webgl')!;
    expect(t.msPerStep).toBeUndefined();
    expect(t.estimateMs).toBeCloseTo(60 * 784, 6);
    expect(t.dropped).toMatch(/16-step probe/);
  });

  it('extrapolates a probe as fixed cost + cost per step: an engine dominated by per-call overhead is not dropped', async () => {
    // fused-webgpu on the H100 at T = 196: ~2 ms per call (dispatches, one read-back) plus little
    // per time step. Scaling its 16-step probe by 196/16 gave 34.3 ms and dropped it against a
    // 6.9 ms engine; the two-point line gives 2 + 0.01 * 196 ms.
    const f = fakeWorld();
    const r = await timeEngines(
      [
        { id: 'fused-webgl', create: async () => f.trainer('fused-webgl', { compile: 500, overhead: 0.3, perStep: 0.034 }) },
        { id: 'fused-webgpu', create: async () => f.trainer('fused-webgpu', { compile: 800, overhead: 2, perStep: 0.01 }) },
      ],
      batch(196),
      { now: f.now },
    );
    const gpu = r.timings.find((t) => t.id === 'fused-webgpu')!;
    expect(gpu.estimateMs).toBeCloseTo(2 + 0.01 * 196, 9);
    expect(gpu.dropped).toBeUndefined();
    expect(gpu.msPerStep).toBeCloseTo(3.96, 9);
    expect(r.best).toBe('fused-webgpu');
    // Both probe lengths ran (8 and 16 steps) before any full step.
    expect(f.calls['fused-webgpu'].slice(0, 5)).toEqual([16, 8, 8, 16, 16]);
  });

  it('stops timing at the budget but never below the minimum number of steps; a failing engine is dropped with its error', async () => {
    const f = fakeWorld();
    const r = await timeEngines(
      [
        {
          id: 'fused-webgpu',
          create: async () => {
            throw new Error('no adapter');
          },
        },
        { id: 'fast-wasm', create: async () => f.trainer('fast-wasm', { perStep: 2 }) },
      ],
      batch(784),
      { now: f.now, budgetMs: 1000, minSteps: 3, maxSteps: 7 },
    );
    expect(r.best).toBe('fast-wasm');
    // 1568 ms per step: the budget is spent after the first, but the median needs 3.
    expect(r.timings[1].steps).toBe(3);
    expect(r.timings[0].dropped).toBe('failed: no adapter');
    await expect(
      timeEngines(
        [
          {
            id: 'fast-js',
            create: async () => {
              throw new Error('boom');
            },
          },
        ],
        batch(28),
        { now: f.now },
      ),
    ).rejects.toThrow(/fast-js failed: boom/);
  });

  it('drops an engine whose context is lost mid-step instead of waiting on a read that never settles', async () => {
    const f = fakeWorld();
    let lost = false;
    const hanging: Trainer = {
      ...f.trainer('fused-webgl', { perStep: 1 }),
      trainBatch: () => {
        lost = true;
        return new Promise(() => undefined);
      },
      isLost: () => lost,
    };
    const r = await timeEngines(
      [
        { id: 'fused-webgl', create: async () => hanging },
        { id: 'fast-wasm', create: async () => f.trainer('fast-wasm', { perStep: 1 }) },
      ],
      batch(28),
      { now: f.now },
    );
    expect(r.best).toBe('fast-wasm');
    expect(r.timings[0].dropped).toBe('failed: its GPU context was lost');
  });

  it('prefixSteps keeps the first T0 steps of every sequence', () => {
    const x = Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => i);
    expect(Array.from(prefixSteps(x, 2, 5, 2, 2))).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
  });
});

// ---------------------------------------------------------------------------------------------
// The registry with fake entries.

const OPTS: RnnModelOptions = { inputSize: 1, hiddenSize: 8, numClasses: 10, seed: 5, optimizer: 'adam', lr: 1e-3 };

function fakeEntry(
  id: EngineId,
  make: () => Trainer,
  o: { gpu?: boolean; renderer?: string; precision?: 32 | 16; why?: string; fallback?: EngineId[]; created?: EngineId[] } = {},
): EngineEntry {
  return {
    id,
    gpu: o.gpu ?? id.includes('webg'),
    fallback: o.fallback ?? [],
    available: async () =>
      o.why
        ? { ok: false, why: o.why }
        : { ok: true, info: { engine: id, renderer: o.renderer ?? 'fake GPU', floatPrecision: o.precision ?? 32 } },
    create: async () => {
      o.created?.push(id);
      return make();
    },
  };
}

describe('registry: choice, fallback, loss, switching', () => {
  it('auto never picks a context below float32 nor a software renderer, and times nothing with a single candidate', async () => {
    const f = fakeWorld();
    const created: EngineId[] = [];
    const reg: EngineRegistry = {
      'tfjs-webgl': fakeEntry('tfjs-webgl', () => f.trainer('tfjs-webgl', { perStep: 0.001 }), { precision: 16, created }),
      'fused-webgl': fakeEntry('fused-webgl', () => f.trainer('fused-webgl', { perStep: 0.001 }), {
        renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device))',
        created,
      }),
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 1 }), { gpu: false, created }),
    };
    const r = await chooseEngine(reg, 'auto', OPTS, batch(28), { now: f.now });
    expect(r.entry.id).toBe('fast-wasm');
    expect(created).toEqual([]);
    expect(r.info.note).toMatch(/tfjs-webgl renders below float32/);
    expect(r.info.note).toMatch(/fused-webgl on a software renderer/);
    expect(r.info.note).toMatch(/fused-webgpu not in this build/);
  });

  it('auto times the candidates that can win and keeps the fastest, saying so', async () => {
    const f = fakeWorld();
    const reg: EngineRegistry = {
      'fused-webgl': fakeEntry('fused-webgl', () => f.trainer('fused-webgl', { compile: 500, perStep: 0.05 }), {
        renderer: 'ANGLE (NVIDIA H100)',
      }),
      'tfjs-webgl': fakeEntry('tfjs-webgl', () => f.trainer('tfjs-webgl', { compile: 2000, perStep: 0.35 }), {
        renderer: 'ANGLE (NVIDIA H100)',
      }),
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 0.3 }), { gpu: false }),
    };
    const r = await chooseEngine(reg, 'auto', OPTS, batch(784), { now: f.now });
    expect(r.entry.id).toBe('fused-webgl');
    expect(r.info.note).toMatch(/^auto: fused-webgl 39\.2 ms\/step \(median of \d after warm-up\)/);
  });

  it('an explicit engine falls down its chain, naming each reason; a missing fused engine falls back like a failed one', async () => {
    const f = fakeWorld();
    const reg: EngineRegistry = {
      'tfjs-webgl': fakeEntry('tfjs-webgl', () => f.trainer('tfjs-webgl', { perStep: 1 }), {
        why: 'WebGL is not available',
        fallback: ['tfjs-wasm', 'tfjs-cpu'],
      }),
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 1 }), { gpu: false }),
    };
    const r = await openEngine(reg, 'fused-webgl');
    expect(r.entry.id).toBe('fast-wasm');
    expect(r.info.fallbackReason).toBe('fused-webgl: not in this build; tfjs-webgl: WebGL is not available');
  });

  it('a GRU/LSTM run falls back from the fused engines (they train the vanilla RNN only), explicit and auto; an RNN run keeps them', async () => {
    const f = fakeWorld();
    const fusedCells = { cells: FUSED_CELLS };
    const reg: EngineRegistry = {
      'fused-webgpu': {
        ...fakeEntry('fused-webgpu', () => f.trainer('fused-webgpu', { perStep: 0.001 }), {
          renderer: 'NVIDIA H100',
          fallback: ['fused-webgl', 'tfjs-webgl', 'fast-wasm'],
        }),
        ...fusedCells,
      },
      'fused-webgl': {
        ...fakeEntry('fused-webgl', () => f.trainer('fused-webgl', { perStep: 0.001 }), {
          renderer: 'ANGLE (NVIDIA H100)',
          fallback: ['tfjs-webgl', 'fast-wasm'],
        }),
        ...fusedCells,
      },
      'tfjs-webgl': fakeEntry('tfjs-webgl', () => f.trainer('tfjs-webgl', { perStep: 1 }), { why: 'WebGL is not available' }),
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 1 }), { gpu: false }),
    };
    for (const cell of ['gru', 'lstm'] as const) {
      const explicit = await chooseEngine(reg, 'fused-webgpu', { ...OPTS, cell }, batch(28), { now: f.now });
      expect(explicit.entry.id).toBe('fast-wasm');
      expect(explicit.info.fallbackReason).toBe(
        `fused-webgpu: ${CELL_REFUSAL}; fused-webgl: ${CELL_REFUSAL}; tfjs-webgl: WebGL is not available`,
      );
      const auto = await chooseEngine(reg, 'auto', { ...OPTS, cell }, batch(28), { now: f.now });
      expect(auto.entry.id).toBe('fast-wasm');
      expect(auto.info.note).toContain(`fused-webgpu: ${CELL_REFUSAL}`);
    }
    expect((await chooseEngine(reg, 'fused-webgpu', { ...OPTS, cell: 'rnn' }, batch(28), { now: f.now })).entry.id).toBe('fused-webgpu');
  });

  it("watches a trainer's own isLost() first, else the entry's shared-context check", () => {
    const f = fakeWorld();
    let ctxLost = false;
    const reg: EngineRegistry = { 'tfjs-webgl': { ...fakeEntry('tfjs-webgl', () => f.trainer('t', { perStep: 1 })), lost: () => ctxLost } };
    let lost = false;
    const fused = f.trainer('fused-webgl', { perStep: 1 }, { isLost: () => lost });
    expect(trainerLost(reg, 'fused-webgl', fused)).toBe(false);
    lost = true;
    expect(trainerLost(reg, 'fused-webgl', fused)).toBe(true);
    const plain = f.trainer('tfjs-webgl', { perStep: 1 });
    expect(trainerLost(reg, 'tfjs-webgl', plain)).toBe(false);
    ctxLost = true;
    expect(trainerLost(reg, 'tfjs-webgl', plain)).toBe(true);
    expect(trainerLost(reg, 'fast-wasm', f.trainer('fast-wasm', { perStep: 1 }))).toBe(false);
  });

  it('recovers a lost engine on a new context, or on its fallback, with the last good weights exactly', async () => {
    const f = fakeWorld();
    let resets = 0;
    let deviceBack = true;
    const gpu = (): Trainer => f.trainer('fused-webgpu', { perStep: 1 }, { isLost: () => false });
    const reg: EngineRegistry = {
      'fused-webgpu': {
        ...fakeEntry('fused-webgpu', gpu, { fallback: ['fast-wasm'] }),
        available: async () =>
          deviceBack
            ? { ok: true, info: { engine: 'fused-webgpu', renderer: 'H100', floatPrecision: 32 } }
            : { ok: false, why: 'device lost for good' },
        reset: async () => void resets++,
      },
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 1 }), { gpu: false }),
    };
    const weights = { weight_hh_l0: { shape: [1], data: Float32Array.of(0.1) } } as unknown as RnnWeights;
    const a = await recoverEngine(reg, 'fused-webgpu', gpu(), OPTS, weights);
    expect([a.entry.id, resets]).toEqual(['fused-webgpu', 1]);
    expect(await a.trainer.getWeights()).toBe(weights);
    deviceBack = false;
    const b = await recoverEngine(reg, 'fused-webgpu', a.trainer, OPTS, weights);
    expect(b.entry.id).toBe('fast-wasm');
    expect(b.info.fallbackReason).toMatch(/fused-webgpu: device lost for good/);
    expect(await b.trainer.getWeights()).toBe(weights);
  });

  it('re-check after the first epoch switches only to a clearly faster engine', async () => {
    const f = fakeWorld();
    const reg = (perStep: number): EngineRegistry => ({
      'tfjs-webgl': fakeEntry('tfjs-webgl', () => f.trainer('tfjs-webgl', { compile: 1000, perStep })),
      'fast-wasm': fakeEntry('fast-wasm', () => f.trainer('fast-wasm', { perStep: 1 }), { gpu: false }),
    });
    // fast-wasm trained epoch 1 at 100 ms/step (its epoch median); tfjs-webgl's steady state at T = 100:
    const faster = await recheckEngine(reg(0.5), 'fast-wasm', 100, OPTS, batch(100), { now: f.now });
    expect(faster?.entry.id).toBe('tfjs-webgl');
    expect(faster?.info.note).toMatch(/fast-wasm 100\.0 ms\/step \(this epoch\)/);
    expect(await recheckEngine(reg(0.9), 'fast-wasm', 100, OPTS, batch(100), { now: f.now })).toBeNull();
  });
});

describe('registry: 10 engine switches on the real engines free what they held', () => {
  it('keeps tfjs numTensors flat, GPU bytes from growing, and carries the weights over exactly', async () => {
    // A fake GPU engine that books its buffers in a pool: a switch that forgot dispose() would grow it.
    const pool = new Set<object>();
    const gpuTrainer = (): Trainer => {
      let w: RnnWeights | null = null;
      const token = {};
      pool.add(token);
      return {
        engine: 'fused-webgl',
        reduction: 'mean',
        gpuBytes: 4096,
        trainBatch: async () => ({ loss: 1, correct: 0 }),
        evaluate: async () => ({ loss: 1, acc: 0 }),
        getWeights: async () => w!,
        setWeights: (x) => {
          w = x as RnnWeights;
        },
        dispose: () => void pool.delete(token),
        isLost: () => false,
      };
    };
    const reg: EngineRegistry = {
      ...fastEngineEntries(async () => WASM_BYTES),
      'tfjs-cpu': tfjsEngineEntry('tfjs-cpu', tfjsCpuStart),
      'fused-webgl': fakeEntry('fused-webgl', gpuTrainer),
    };
    const cycle: EngineId[] = ['tfjs-cpu', 'fast-js', 'fused-webgl', ...(wasmSimdAvailable() ? (['fast-wasm'] as EngineId[]) : [])];
    const T = 6,
      B = 3;
    const x = Float32Array.from({ length: B * T }, (_, i) => (i % 7) / 7);
    const y = Int32Array.from({ length: B }, (_, i) => i);
    let trainer = await reg['tfjs-cpu']!.create(OPTS);
    await trainer.trainBatch(x, y, B, T, 1);
    // numTensors with a trained tfjs trainer live, and with another engine live: each must stay put.
    const tensors: Partial<Record<'tfjs' | 'other', number>> = { tfjs: tf.memory().numTensors };
    const gpuBytes = () => [...pool].length * 4096;
    let weights = await trainer.getWeights();
    for (let i = 0; i < 10; i++) {
      const id = cycle[i % cycle.length];
      const entry = reg[id]!;
      expect((await entry.available()).ok).toBe(true);
      trainer = await swapTrainer(trainer, entry, OPTS, weights);
      const back = await trainer.getWeights();
      for (const name of Object.keys(weights) as (keyof RnnWeights)[])
        expect(Array.from(back[name].data), `${id} ${name}`).toEqual(Array.from(weights[name].data));
      if (id !== 'fused-webgl') {
        await trainer.trainBatch(x, y, B, T, 1);
        weights = await trainer.getWeights();
      }
      // tfjs holds only the live trainer's variables (when it is the tfjs one), never leftovers.
      const kind = id === 'tfjs-cpu' ? 'tfjs' : 'other';
      tensors[kind] ??= tf.memory().numTensors;
      expect(tf.memory().numTensors, `switch ${i + 1} to ${id}`).toBe(tensors[kind]);
      expect(gpuBytes()).toBe(id === 'fused-webgl' ? trainer.gpuBytes : 0);
    }
    trainer.dispose();
  });

  it('the fast engine trains a short last batch from a buffer sized for the full batch', async () => {
    const entry = fastEngineEntries(async () => WASM_BYTES)['fast-js'];
    const T = 5,
      full = 4,
      size = 2;
    const x = Float32Array.from({ length: full * T }, (_, i) => Math.sin(i));
    const y = Int32Array.of(1, 2, 3, 4);
    const a = await entry.create(OPTS);
    const b = await entry.create(OPTS);
    const ra = await a.trainBatch(x, y, size, T, 1);
    const rb = await b.trainBatch(x.slice(0, size * T), y.slice(0, size), size, T, 1);
    expect(ra.loss).toBe(rb.loss);
    expect(Array.from((await a.getWeights()).weight_hh_l0.data)).toEqual(Array.from((await b.getWeights()).weight_hh_l0.data));
  });
});

// ---------------------------------------------------------------------------------------------
// The hand-written engine on W threads through the registry (threads=).

describe('threads: auto times W = 1, 2, 4 ... and keeps the fewest that are clearly fastest', () => {
  it('offers 1, 2, 4 ... up to cores - 2 (one core for the page, one for the analysis), at most 8', () => {
    expect([1, 2, 3, 4, 6, 8, 10, 16, 64].map(autoThreadCandidates)).toEqual([
      [1],
      [1],
      [1],
      [1, 2],
      [1, 2, 4],
      [1, 2, 4],
      [1, 2, 4, 8],
      [1, 2, 4, 8],
      [1, 2, 4, 8],
    ]);
  });

  /** A threaded fake engine whose step on W threads costs perStep[W] ms per time step. */
  const threadedEntry = (f: ReturnType<typeof fakeWorld>, perStep: Record<number, number>, made: number[]): EngineEntry => ({
    ...fakeEntry('fast-wasm', () => f.trainer('unused', { perStep: 1 }), { gpu: false }),
    threaded: true,
    create: async (_o, w = 1) => {
      made.push(w);
      return f.trainer(`w${w}`, { compile: 50, perStep: perStep[w] });
    },
  });

  it('times each candidate at steady state (warm-up excluded) and keeps 2 threads when 4 are not 10% faster', async () => {
    const f = fakeWorld();
    const made: number[] = [];
    const r = await chooseThreads(threadedEntry(f, { 1: 1, 2: 0.55, 4: 0.52 }, made), 'auto', OPTS, batch(196), 8, { now: f.now });
    expect(made).toEqual([1, 2, 4]);
    expect(r.threads).toBe(2);
    expect(r.timings!.map((t) => t.msPerStep)).toEqual([196, 0.55 * 196, 0.52 * 196].map((v) => expect.closeTo(v, 9)));
    expect(r.note).toMatch(/^auto: 1 thread 196\.0 ms\/step .*2 threads 107\.8 ms\/step/);
    // More threads that barely help are not worth the cores: 1 thread stays.
    const g = fakeWorld();
    expect(
      (await chooseThreads(threadedEntry(g, { 1: 1, 2: 0.95, 4: 0.93 }, []), 'auto', OPTS, batch(196), 8, { now: g.now })).threads,
    ).toBe(1);
  });

  it('times nothing on two cores, for an explicit count, or for an engine that is not threaded', async () => {
    const f = fakeWorld();
    const made: number[] = [];
    const entry = threadedEntry(f, { 1: 1, 2: 0.5 }, made);
    const two = await chooseThreads(entry, 'auto', OPTS, batch(28), 2, { now: f.now });
    expect(two.threads).toBe(1);
    expect(two.note).toMatch(/2 cores/);
    expect((await chooseThreads(entry, 3, OPTS, batch(28), 2, { now: f.now })).threads).toBe(3);
    const gpu = fakeEntry('fused-webgl', () => f.trainer('gpu', { perStep: 1 }));
    expect(await chooseThreads(gpu, 'auto', OPTS, batch(28), 16, { now: f.now })).toEqual({ threads: 1 });
    expect(made).toEqual([]);
  });

  it('records the threads in the badge info and the tooltip; one thread reads as before', () => {
    const info: EngineInfo = { engine: 'fast-wasm', renderer: 'r', floatPrecision: 32 };
    const two = withThreads(info, { threads: 2 } as Trainer, 'auto: 1 thread 10.0 ms/step, 2 threads 6.0 ms/step');
    expect(two.threads).toBe(2);
    expect(engineLabel('fast-wasm', 2)).toBe('fast-wasm × 2 threads');
    expect(engineLabel('fast-wasm', 1)).toBe('fast-wasm');
    expect(engineTooltip(two)).toMatch(/^fast-wasm × 2 threads: hand-written BPTT engine/);
    expect(engineTooltip(two)).toMatch(/threads: auto: 1 thread 10\.0 ms\/step, 2 threads 6\.0 ms\/step/);
    const one = withThreads(info, { note: '2 threads asked, 1 used: this context cannot start Workers' } as unknown as Trainer);
    expect(one.threads).toBe(1);
    expect(engineTooltip(one)).toMatch(/^fast-wasm: .*threads: 2 threads asked, 1 used/);
  });
});

describe('threads: the fast engine on worker_threads through the registry', () => {
  /** Helpers that count themselves until their thread has really exited. */
  let liveHelpers = 0;
  const countedSpawn = (): HelperPort => {
    const w = tsWorker(new URL('../../src/model/fast/threadedNode.worker.ts', import.meta.url));
    liveHelpers++;
    w.on('exit', () => liveHelpers--);
    return {
      post: (cmd, transfer) => w.postMessage(cmd, (transfer ?? []) as never),
      onMessage: (h) => {
        w.on('message', h);
        w.on('error', (e) => h({ type: 'error', id: -1, message: e.message }));
      },
      terminate: () => void w.terminate(),
    };
  };
  const reg = fastEngineEntries(async () => WASM_BYTES, { spawn: countedSpawn });

  /** `steps` seeded row-wise batches through buildModel on a link's config; losses and W_hh after. */
  async function trainLink(hash: string, steps = 3) {
    const { config, issues } = configFromHash(hash);
    expect(issues).toEqual([]);
    const { spec, model: opts } = resolveRunOptions(config);
    const threads = config.threads === 'auto' ? 1 : config.threads;
    const t = await buildModel(reg as EngineRegistry, 'fast-wasm', opts, threads);
    const rng = createRng(17);
    const { B } = { B: config.batch };
    const losses: number[] = [];
    try {
      for (let i = 0; i < steps; i++) {
        const x = Float32Array.from({ length: B * spec.T * spec.D }, () => (rng.next() < 0.3 ? rng.next() : 0));
        const y = Int32Array.from({ length: B }, () => rng.int(10));
        losses.push((await t.trainBatch(x, y, B, spec.T, spec.D)).loss);
      }
      const w = await t.getWeights();
      return { threads: trainerThreads(t), losses, whh: Array.from(w.weight_hh_l0.data), fc: Array.from(w['fc.weight'].data) };
    } finally {
      t.dispose();
    }
  }

  it('threads=2&backend=fast-wasm reproduces bit for bit; threads=1 is the single-threaded FastRnn exactly; gated cells reach the helpers', async () => {
    // Node >= 20 (package.json engines) has WebAssembly SIMD, so these tests always run; a runtime
    // without it fails here instead of silently skipping them.
    expect(wasmSimdAvailable()).toBe(true);
    const link = '#preset=quick&backend=fast-wasm&hidden=16&batch=16&threads=';
    const a = await trainLink(`${link}2`);
    const b = await trainLink(`${link}2`);
    expect(a.threads).toBe(2);
    expect(b).toEqual(a);
    // One thread through the registry is FastRnn itself: same numbers as a FastRnn built by hand.
    const one = await trainLink(`${link}1`);
    const { config } = configFromHash(`${link}1`);
    const spec = specForConfig(config.encoding, config.permute, config.seed);
    const ref = fastTrainer(runModelOptions(config, spec), await createWasmTrainingKernels(WASM_BYTES));
    const rng = createRng(17);
    const refLosses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const x = Float32Array.from({ length: 16 * spec.T * spec.D }, () => (rng.next() < 0.3 ? rng.next() : 0));
      const y = Int32Array.from({ length: 16 }, () => rng.int(10));
      refLosses.push((await ref.trainBatch(x, y, 16, spec.T, spec.D)).loss);
    }
    expect(one.losses).toEqual(refLosses);
    expect(one.whh).toEqual(Array.from((await ref.getWeights()).weight_hh_l0.data));
    ref.dispose();
    // Two threads differ from one only by the order of the float32 batch sums.
    a.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i])).toBeLessThan(1e-5 * l));
    // A GRU and an LSTM: the helpers train the same cell (a vanilla helper would not even fit the
    // gradient block). SGD here: Adam's normalisation would magnify the float32 rounding of tiny gradients.
    for (const cell of ['gru', 'lstm']) {
      const gated = `${link.replace('threads=', 'optimizer=sgd&lr=0.05')}&cell=${cell}&threads=`;
      const g2 = await trainLink(`${gated}2`);
      const g1 = await trainLink(`${gated}1`);
      expect(g2.threads).toBe(2);
      expect(await trainLink(`${gated}2`)).toEqual(g2);
      g2.losses.forEach((l, i) => expect(Math.abs(l - g1.losses[i]), cell).toBeLessThan(1e-5 * l));
      g2.whh.forEach((v, i) => expect(Math.abs(v - g1.whh[i]), cell).toBeLessThan(1e-4));
    }
  }, 120_000);

  it('dispose() ends the helper threads: 10 create/dispose cycles leave none alive', async () => {
    const entry = reg['fast-wasm'];
    for (let i = 0; i < 10; i++) {
      const t = await entry.create(OPTS, 2);
      expect(trainerThreads(t)).toBe(2);
      expect(liveHelpers).toBeGreaterThan(0);
      t.dispose();
    }
    await expect.poll(() => liveHelpers, { timeout: 10_000 }).toBe(0);
  }, 120_000);
});
