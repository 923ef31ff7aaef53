/**
 * Start-up calibration for backend "auto": time a few training steps of each candidate trainer on
 * the real configuration and keep the fastest. Measured on the 2-core machine (docs/performance.md)
 * the FastRnn WASM SIMD engine wins every configuration by 5-20x over tfjs wasm/webgl(SwiftShader)/cpu;
 * a real GPU with WebGL may win for large N or batch, which is why this measures instead of assuming.
 */

/** One candidate: `step` runs one training step on a representative batch (sync or async). */
export interface TrainerCandidate {
  name: string;
  step: () => void | Promise<unknown>;
}

/** Median ms per step of each candidate (after `warmup` untimed steps) and the fastest name. */
export interface CalibrationResult {
  best: string;
  msPerStep: Record<string, number>;
}

/**
 * Runs `warmup` then `steps` timed steps of every candidate (in order) and returns the one with the
 * lowest median ms per step. A candidate whose step throws is dropped (e.g. no WebGL); throws only
 * when every candidate fails. `now` is injectable for tests; defaults to performance.now.
 */
export async function calibrateTrainers(candidates: TrainerCandidate[], steps = 3, warmup = 1, now: () => number = () => performance.now()): Promise<CalibrationResult> {
  const msPerStep: Record<string, number> = {};
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      const times: number[] = [];
      for (let i = 0; i < warmup + steps; i++) {
        const t0 = now();
        await c.step();
        if (i >= warmup) times.push(now() - t0);
      }
      times.sort((a, b) => a - b);
      msPerStep[c.name] = times[times.length >> 1];
    } catch (e) {
      errors.push(`${c.name}: ${(e as Error).message}`);
    }
  }
  const names = Object.keys(msPerStep);
  if (!names.length) throw new Error(`no trainer candidate ran: ${errors.join('; ')}`);
  const best = names.reduce((a, b) => (msPerStep[b] < msPerStep[a] ? b : a));
  return { best, msPerStep };
}
