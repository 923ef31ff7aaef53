/**
 * worker_threads entry for the "every core" bench rows (coresBench.ts): loads the WASM SIMD
 * float64 kernels, then answers the analysis pool's messages (the same handlers as the browser's
 * analysis worker) and 'qr' tasks (the QR iteration of a probe range). Node only.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { setAnalysisKernels } from '../core/kernels';
import { createWasmAnalysisKernels } from '../core/kernels/wasm';
import { createCell } from '../core/dynamics/cells';
import { probeLyapunov } from '../core/dynamics/lyapunov';
import type { ModelWeights } from '../core/formats/model';
import { runPart, runWhole } from '../worker/analysisPart';
import type { AnalysisPartCommand, AnalyzerCommand } from '../worker/protocol';

/** QR iteration with k vectors of probes b0..b1-1 of inputs [B*T*D]; answers the lnR rows [nb][T][k]. */
export interface QrTask {
  type: 'qr';
  task: number;
  weights: ModelWeights;
  inputs: Float64Array;
  T: number;
  k: number;
  b0: number;
  b1: number;
}

const port = parentPort!;
const ready = createWasmAnalysisKernels(readFileSync(new URL('../../public/kernels/analysis.wasm', import.meta.url))).then(
  setAnalysisKernels,
);
port.on('message', async (cmd: AnalyzerCommand | AnalysisPartCommand | QrTask) => {
  await ready;
  if (cmd.type === 'crash' || cmd.type === 'loseGpu') return;
  if (cmd.type === 'analyze') runWhole(cmd, (ev) => port.postMessage(ev));
  else if (cmd.type === 'qr') {
    const D = cmd.weights.inputSize;
    const inputs = cmd.inputs.subarray(cmd.b0 * cmd.T * D, cmd.b1 * cmd.T * D);
    const L = probeLyapunov(createCell(cmd.weights), { B: cmd.b1 - cmd.b0, T: cmd.T, inputs }, { k: cmd.k });
    port.postMessage({ type: 'qr-done', task: cmd.task, lnR: L.lnR });
  } else runPart(cmd, (ev) => port.postMessage(ev));
});
