#!/usr/bin/env node
// ftle-lab CLI: registers tsx so Node can run the TypeScript engine directly, then hands over.
import { register } from 'tsx/esm/api';

register();
const { runCli, useFastKernels } = await import('../src/cli/main.ts');
await useFastKernels();
process.exitCode = runCli(process.argv.slice(2));
