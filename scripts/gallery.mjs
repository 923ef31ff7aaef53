#!/usr/bin/env node
/**
 * `npm run gallery`: regenerates the finished runs shipped in public/gallery/ (the gallery a
 * lecture opens at once). It builds the CLI (scripts/build-cli.mjs) and runs `ftle-lab run` (or,
 * for the edge-of-chaos item, `ftle-lab chaos`) once per item: each bundle is exactly what the app's headless run writes (same engine, seeded), so the
 * gallery never drifts from what the app computes. It then writes public/gallery/index.json, the
 * manifest the app lists (format ftle-lab.gallery/v1, docs/formats.md).
 *
 * test/unit/gallery.test.ts regenerates the cheapest item and compares it with the shipped file
 * (timings and the creation time excepted), and checks every other item's settings. Run this
 * script after any change to training or analysis numbers; it is the only command needed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  {
    id: 'edge-of-chaos',
    title: 'The edge of chaos at three gains',
    description:
      'An untrained random RNN (N = 64, no input) at g = 0.5, 1 and 2.5, 3 network seeds, every exponent: opens the edge-of-chaos view, replayed at those gains.',
    // The chaos view's own settings (core/dynamics/chaosView.ts CHAOS_VIEW: steps, transient, seeds
    // 0..2, k = N), so the replayed numbers are the ones the view computes at these gains.
    command: 'chaos',
    args: ['--hidden', '64', '--gains', '0.5,1,2.5', '--seeds', '3', '--seed', '0', '--k', '64', '--steps', '300', '--transient', '100'],
  },
];

/**
 * `--only id[,id]` regenerates just those items and keeps the others' files and manifest entries
 * (e.g. after a change that touches only the chaos sweep); without it every item is rewritten.
 */
function main() {
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? new Set(process.argv[onlyAt + 1].split(',')) : null;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  const previous = only ? JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).items : [];
  if (!only) rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const cli = join(root, 'dist-cli', 'ftle-lab.mjs');
  const items = [];
  for (const item of GALLERY_ITEMS) {
    const file = `${item.id}.json`;
    const kept = only && !only.has(item.id) ? previous.find((p) => p.id === item.id) : null;
    if (kept) {
      items.push(kept);
      continue;
    }
    const command = item.command ?? 'run';
    process.stderr.write(`gallery: ${item.id}: ftle-lab ${command} ${item.args.join(' ')}\n`);
    execFileSync(process.execPath, [cli, command, ...item.args, '--out', join(out, file), '--quiet'], { stdio: 'inherit' });
    items.push({ ...item, file, bytes: statSync(join(out, file)).size });
  }
  writeFileSync(join(out, 'index.json'), `${JSON.stringify({ format: 'ftle-lab.gallery/v1', items }, null, 2)}\n`);
  const total = readdirSync(out).reduce((s, f) => s + statSync(join(out, f)).size, 0);
  process.stderr.write(`gallery: wrote ${items.length} runs to public/gallery/ (${(total / 1e6).toFixed(1)} MB)\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
