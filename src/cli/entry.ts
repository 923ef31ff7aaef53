/**
 * The `ftle-lab` executable: built by scripts/build-cli.mjs into dist-cli/ftle-lab.mjs (with the
 * WASM kernels and the digits next to it), which package.json's `bin` points to.
 * The same file is the script of the flip threads of `analyze --workers N` (parallelFlip.ts): a
 * worker started with workerData.ftleLabRole = 'flip-thread' runs flipThread.ts instead of the CLI.
 */
import { isMainThread, Worker, workerData } from 'node:worker_threads';

const FLIP_THREAD = 'flip-thread';

if (!isMainThread && (workerData as { ftleLabRole?: string } | null)?.ftleLabRole === FLIP_THREAD) {
  await import('./flipThread');
} else {
  const [{ runCli, useWasmAnalysisKernels }, { setFlipThreadSpawner }] = await Promise.all([import('./main'), import('./parallelFlip')]);
  setFlipThreadSpawner((data) => new Worker(new URL(import.meta.url), { workerData: { ...data, ftleLabRole: FLIP_THREAD } }));
  await useWasmAnalysisKernels();
  process.exitCode = await runCli(process.argv.slice(2));
}
