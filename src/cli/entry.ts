/**
 * The `ftle-lab` executable: built by scripts/build-cli.mjs into dist-cli/ftle-lab.mjs (with the
 * WASM kernels and the digits next to it), which package.json's `bin` points to.
 */
import { runCli, useWasmAnalysisKernels } from './main';

await useWasmAnalysisKernels();
process.exitCode = await runCli(process.argv.slice(2));
