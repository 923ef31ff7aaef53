/**
 * Messages of the seeds worker (seeds.worker.ts), which trains and analyses the background seeds
 * of a several-seed run one after another with the headless run (run/headless.ts).
 */
import type { RunConfig } from '../core/formats/config';
import type { EpochSnapshot } from '../core/snapshot';
import type { MnistDataset } from '../data/mnistAsset';

export type SeedsCommand =
  | {
      type: 'run';
      runId: string;
      /** The run's config; each seed trains it with `seed` replaced. */
      config: RunConfig;
      /** The seeds to train, in order (core/seeds.ts seedList without seed_0, or the unfinished ones). */
      seeds: number[];
      /** URL of the bundled digits (data/mnist-10k.bin); the app's kernels/ folder is next to data/. */
      dataUrl: string;
      /** The user's own IDX digits when the main run trains on them. */
      dataset?: MnistDataset;
    }
  /** Pause before the next training batch (the main run was paused), and go on. */
  | { type: 'pause' }
  | { type: 'resume' };

export type SeedsEvent =
  | { type: 'seedStart'; runId: string; seed: number; engine: string }
  | { type: 'progress'; runId: string; seed: number; what: string; fraction: number }
  | { type: 'snapshot'; runId: string; seed: number; snapshot: EpochSnapshot }
  | { type: 'seedEnd'; runId: string; seed: number; outcome: 'done' | 'stopped' | 'diverged'; message?: string }
  | { type: 'error'; runId: string; seed: number | null; message: string };
