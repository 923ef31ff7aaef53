#!/usr/bin/env node
// ftle-lab CLI: registers tsx so Node can run the TypeScript engine directly, then hands over.
import { register } from 'tsx/esm/api';

register();
const { runCliAsync, useWasmAnalysisKernels } = await import('../src/cli/main.ts');
await useWasmAnalysisKernels();
process.exitCode = await runCliAsync(process.argv.slice(2));
