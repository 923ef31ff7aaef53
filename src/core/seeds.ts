/**
 * Seeds of a several-seed run (config key `seeds=S`): the one derivation every part of the app
 * (the page's background seeds, bundles, the CLI) uses, so a seed is the same run everywhere.
 *
 * seed_i = (seed + i) mod 2^31 for i = 0..S-1: seed_0 is the configured seed (the main run the
 * panels show), and seed i of a link is exactly the single-seed run of `seed=seed+i`. A sweep of
 * `ftle-lab run --seed 1`, `--seed 2`, `--seed 3` therefore reproduces `seed=1&seeds=3` run by run.
 */

/** Most seeds one page trains (each extra seed is a whole run on the CPU). */
export const MAX_SEEDS = 16;

/** Seeds are 31-bit non-negative integers (the config's `seed` range). */
const SEED_MODULUS = 2 ** 31;

/** Seed of run `index` (0-based; 0 is the configured seed itself) of a several-seed run. */
export function seedForIndex(seed: number, index: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= SEED_MODULUS)
    throw new RangeError(`seed must be an integer in [0, 2^31), got ${seed}`);
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`seed index must be a non-negative integer, got ${index}`);
  return (seed + index) % SEED_MODULUS;
}

/** All `count` seeds of a run whose configured seed is `seed`, seed_0 first. */
export function seedList(seed: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => seedForIndex(seed, i));
}
