/**
 * What the background seeds of a several-seed run should be, and which of them still need
 * training: pure functions of the config and the seed runs held (testable without workers).
 */
import type { RunConfig } from '../core/formats/config';
import { seedList } from '../core/seeds';
import type { SeedRun } from '../store/runStore';

/** True when `run` holds the snapshot of the config's last epoch (so every epoch was trained). */
export function seedRunComplete(run: Pick<SeedRun, 'epochs'>, config: Pick<RunConfig, 'epochs'>): boolean {
  return run.epochs.some((e) => e.epoch === config.epochs);
}

/**
 * The background seed runs of `config` (seed_1..seed_{S-1} of core/seeds.ts, in that order),
 * keeping the snapshots `held` has for the same seeds (a restored run, a restarted worker, a moved
 * epoch target). A held seed with the target's last epoch is 'done'; one that diverged stays
 * 'failed' (it would diverge again: training is deterministic); every other seed is 'queued'.
 */
export function seedRunsFor(config: Pick<RunConfig, 'seed' | 'seeds' | 'epochs'>, held: readonly SeedRun[] = []): SeedRun[] {
  return seedList(config.seed, config.seeds)
    .slice(1)
    .map((seed) => {
      const old = held.find((r) => r.seed === seed);
      const epochs = old ? old.epochs.filter((e) => e.epoch <= config.epochs) : [];
      const status: SeedRun['status'] = seedRunComplete({ epochs }, config) ? 'done' : old?.status === 'failed' ? 'failed' : 'queued';
      return { seed, epochs, status, progress: null, ...(status === 'failed' && old?.message ? { message: old.message } : {}) };
    });
}

/** The seeds the seeds worker should train now, in order: the queued ones. */
export function seedsToTrain(runs: readonly SeedRun[]): number[] {
  return runs.filter((r) => r.status === 'queued').map((r) => r.seed);
}
