/**
 * Files the CLI reads at run time: the WASM kernels and the bundled digits. In the built CLI
 * (dist-cli/ftle-lab.mjs, what `npm pack` ships) they sit next to it (dist-cli/kernels/,
 * dist-cli/data/); run from the sources (tests, tsx) they are the app's public/ folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadMnistAsset, type MnistDataset } from '../data/mnistAsset';
import { createJsTrainingKernels, type TrainingKernels } from '../model/fast/kernels';
import { createWasmTrainingKernels } from '../model/fast/wasmKernels';
import type { EngineId } from '../core/engines';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels, wasmSimdAvailable } from '../core/kernels/wasm';

/** Asset paths relative to public/ (and to the built CLI's folder). */
export type AssetName = 'kernels/fast_rnn.wasm' | 'kernels/analysis.wasm' | 'data/mnist-10k.bin';

/** Absolute path of an asset: next to the built CLI, else in the source tree's public/. Throws when neither exists. */
export function assetPath(name: AssetName): string {
  const candidates = [new URL(`./${name}`, import.meta.url), new URL(`../../public/${name}`, import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${name} is missing (looked in ${candidates.join(', ')}); reinstall ftle-lab or run \`npm run build:cli\``);
  return found;
}

/** The bundled 8,000 train / 2,000 test digits (public/data/mnist-10k.bin). */
export async function loadBundledDigits(): Promise<MnistDataset> {
  return loadMnistAsset(readFileSync(assetPath('data/mnist-10k.bin')));
}

/**
 * The fast engine's kernels as the browser's training worker picks them: WASM SIMD
 * (kernels/fast_rnn.wasm) when the runtime has SIMD, else plain JS; with the engine id recorded
 * in each epoch's metrics.
 */
export async function loadFastKernels(): Promise<{ kernels: TrainingKernels; engine: EngineId }> {
  if (!wasmSimdAvailable()) return { kernels: createJsTrainingKernels(), engine: 'fast-js' };
  return { kernels: await createWasmTrainingKernels(readFileSync(assetPath('kernels/fast_rnn.wasm'))), engine: 'fast-wasm' };
}

/**
 * Uses the WASM SIMD float64 kernels (the analysis worker's, kernels/analysis.wasm) for src/core
 * when the runtime has SIMD; otherwise the pure-TypeScript kernels run. Results agree to rounding
 * either way; the WASM ones are what the app's analysis worker uses, so a headless run's numbers
 * match the app's. Chosen once per process.
 */
export function useWasmAnalysisKernels(): Promise<'wasm-simd' | 'js'> {
  matKernelsChoice ??= (async () => {
    try {
      if (!wasmSimdAvailable()) return 'js';
      setAnalysisKernels(await createWasmAnalysisKernels(readFileSync(assetPath('kernels/analysis.wasm'))));
      return 'wasm-simd';
    } catch {
      return 'js';
    }
  })();
  return matKernelsChoice;
}
let matKernelsChoice: Promise<'wasm-simd' | 'js'> | undefined;
