#!/usr/bin/env node
// ftle-lab CLI: registers tsx so Node can run the TypeScript engine directly, then hands over.
import { register } from 'tsx/esm/api';

register();
const { runCli, useWasmAnalysisKernels } = await import('../src/cli/main.ts');
await useWasmAnalysisKernels();
process.exitCode = runCli(process.argv.slice(2));
