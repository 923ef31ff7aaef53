/**
 * State trajectories of one input sequence: states s_0..s_T and the per-step gate caches that
 * backward passes need. The QR iteration, BPTT and the alignment analysis all read one trajectory.
 */
import type { Cell } from './cells';
import { initialState } from './cells';

/** states [(T+1)][S] (states[0..S) = s_0, the initial state); cache [T][cacheSize] (step t at (t-1)*cacheSize). */
export interface Trajectory {
  T: number;
  S: number;
  states: Float64Array;
  cache: Float64Array;
}

/**
 * Runs one sequence: x_t = inputs[xBase + (t-1)*D ..] for t = 1..T, from s0 (S floats; zeros when
 * null). Reuses `out` when its buffers are large enough.
 */
export function runTrajectory(
  cell: Cell,
  inputs: Float64Array,
  xBase: number,
  T: number,
  s0: Float64Array | null,
  out?: Trajectory,
): Trajectory {
  const S = cell.stateSize;
  const C = cell.cacheSize;
  const D = cell.inputSize;
  const traj: Trajectory =
    out && out.states.length >= (T + 1) * S && out.cache.length >= T * C
      ? { T, S, states: out.states, cache: out.cache }
      : { T, S, states: new Float64Array((T + 1) * S), cache: new Float64Array(T * C) };
  if (s0) traj.states.set(s0.subarray(0, S), 0);
  else traj.states.fill(0, 0, S);
  for (let t = 1; t <= T; t++) {
    cell.step(inputs, xBase + (t - 1) * D, traj.states, (t - 1) * S, traj.states, t * S, C > 0 ? traj.cache : null, (t - 1) * C);
  }
  return traj;
}

/** Trajectory of probe sequence b (inputs [B*T*D], h0/c0 [B*N] optional). */
export function probeTrajectory(
  cell: Cell,
  probe: { T: number; inputs: Float64Array; h0?: Float64Array; c0?: Float64Array },
  b: number,
  out?: Trajectory,
): Trajectory {
  const s0 = new Float64Array(cell.stateSize);
  initialState(cell, b, probe.h0, probe.c0, s0, 0);
  return runTrajectory(cell, probe.inputs, b * probe.T * cell.inputSize, probe.T, s0, out);
}
