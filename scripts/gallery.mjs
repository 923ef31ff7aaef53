#!/usr/bin/env node
/**
 * `npm run gallery`: regenerates the finished runs shipped in public/gallery/ (the gallery a
 * lecture opens at once). It builds the CLI (scripts/build-cli.mjs) and runs `ftle-lab run` once
 * per item: each bundle is exactly what the app's headless run writes (same engine, seeded), so the
 * gallery never drifts from what the app computes. It then writes public/gallery/index.json, the
 * manifest the app lists (format ftle-lab.gallery/v1, docs/formats.md).
 *
 * test/unit/gallery.test.ts regenerates the cheapest item and compares it with the shipped file
 * (timings and the creation time excepted), and checks every other item's settings. Run this
 * script after any change to training or analysis numbers; it is the only command needed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'public', 'gallery');

/**
 * The gallery: id (file name), title and one-line description shown in the app, and the
 * `ftle-lab run` flags (every flag is a key of an app link, so the same run is one link away).
 */
export const GALLERY_ITEMS = [
  {
    id: 'quick-3-seeds',
    title: 'Quick demo, 3 seeds',
    description: 'Row-wise MNIST, tanh RNN with N = 32, 3 epochs, 3 seeds: both claims with their controls and the verdict across seeds.',
    args: ['--preset', 'quick', '--seeds', '3'],
  },
  {
    id: 'quick-gru',
    title: 'GRU',
    description: 'The quick demo with a gated recurrent unit (N = 32, 3 epochs, 1 seed).',
    args: ['--preset', 'quick-gru'],
  },
];

function main() {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const cli = join(root, 'dist-cli', 'ftle-lab.mjs');
  const items = [];
  for (const item of GALLERY_ITEMS) {
    const file = `${item.id}.json`;
    process.stderr.write(`gallery: ${item.id}: ftle-lab run ${item.args.join(' ')}\n`);
    execFileSync(process.execPath, [cli, 'run', ...item.args, '--out', join(out, file), '--quiet'], { stdio: 'inherit' });
    items.push({ ...item, file, bytes: statSync(join(out, file)).size });
  }
  writeFileSync(join(out, 'index.json'), `${JSON.stringify({ format: 'ftle-lab.gallery/v1', items }, null, 2)}\n`);
  const total = readdirSync(out).reduce((s, f) => s + statSync(join(out, f)).size, 0);
  process.stderr.write(`gallery: wrote ${items.length} runs to public/gallery/ (${(total / 1e6).toFixed(1)} MB)\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
