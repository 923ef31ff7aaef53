#!/usr/bin/env node
/**
 * `npm run build:cli` (also run by `prepack`): bundles the CLI (src/cli/entry.ts and everything it
 * imports from src/core, src/model, src/data and node_modules) with esbuild into ONE JavaScript
 * file, dist-cli/ftle-lab.mjs, and copies the files it reads at run time next to it:
 * dist-cli/kernels/{fast_rnn,analysis}.wasm and dist-cli/data/mnist-10k.bin. The installed package
 * therefore needs no run-time dependency and no TypeScript runner.
 */
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-cli');
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(out, 'ftle-lab.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  mainFields: ['module', 'main'],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // tfjs-core (pulled in by the trainer module, unused by the fast engine) calls require() in Node.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __ftleCreateRequire } from 'node:module'; const require = __ftleCreateRequire(import.meta.url);",
  },
});
for (const asset of ['kernels/fast_rnn.wasm', 'kernels/analysis.wasm', 'data/mnist-10k.bin']) {
  mkdirSync(dirname(join(out, asset)), { recursive: true });
  copyFileSync(join(root, 'public', asset), join(out, asset));
}
chmodSync(join(out, 'ftle-lab.mjs'), 0o755);
console.error(`[build-cli] dist-cli/ftle-lab.mjs (${(statSync(join(out, 'ftle-lab.mjs')).size / 1024).toFixed(0)} kB) + kernels/ + data/`);
