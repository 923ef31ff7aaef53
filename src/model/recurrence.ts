/**
 * The tanh recurrence h_t = tanh(x_t W_in^T + h_{t-1} W_hh^T) over a whole sequence as ONE
 * differentiable op with a hand-written backward pass (tf.customGrad). tfjs speed is bound by
 * per-op overhead (docs/platform-notes.md): autodiff of the unrolled loop runs ~28 kernels per step
 * (forward + backward + gradient accumulation); this op runs 4 forward (2 matMul, add, tanh) and
 * 4 backward (square, sub, mul, matMul) per step, and accumulates the weight gradients with one
 * matMul over all steps:
 *   delta_T = dL/dh_T;  dA_t = delta_t * (1 - h_t^2);  delta_{t-1} = dA_t W_hh;
 *   dL/dW_hh = sum_t dA_t^T h_{t-1};  dL/dW_in = sum_t dA_t^T x_t;  dL/dx_t = dA_t W_in;  dL/dh_0 = delta_0.
 * It never unstacks a [T, B, N] tensor: on the wasm backend one such unstack took ~0.5 s at T = 196
 * (the inputs x [T, B, D] are small). Per-step tensors are stacked (cheap) for the final matMuls.
 * Biases are handled by the caller by appending a column of ones to x and the bias to W_in.
 * Tested against the float64 fixtures' dL/dW_hh and against plain autodiff for every tensor.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Last hidden state h_T [B, N] of h_t = tanh(x_t W_in^T + h_{t-1} W_hh^T), t = 1..T.
 * xTime: [T, B, D] time-major inputs; weightIn: [N, D]; weightHh: [N, N] (PyTorch layout);
 * h0: [B, N], or null for zeros (then the first step skips its recurrent matMul).
 * Differentiable w.r.t. all of its tensor arguments.
 */
export function tanhRecurrence(xTime: tf.Tensor3D, weightIn: tf.Tensor2D, weightHh: tf.Tensor2D, h0: tf.Tensor2D | null): tf.Tensor2D {
  const [T, B, D] = xTime.shape;
  const N = weightHh.shape[0];
  if (T === 0) throw new RangeError('empty sequence (T = 0)');
  if (weightIn.shape[0] !== N || weightIn.shape[1] !== D) {
    throw new RangeError(`weightIn has shape [${weightIn.shape}], expected [${N}, ${D}]`);
  }
  const run = (x: tf.Tensor3D, wIn: tf.Tensor2D, w: tf.Tensor2D, hInit: tf.Tensor2D | null, save: tf.GradSaveFunc) => {
    const xs = tf.unstack(x, 0) as tf.Tensor2D[];
    const hs: tf.Tensor2D[] = [];
    let h = hInit;
    for (let t = 0; t < T; t++) {
      const drive: tf.Tensor2D = tf.matMul(xs[t], wIn, false, true);
      h = tf.tanh(h === null ? drive : tf.add<tf.Tensor2D>(drive, tf.matMul(h, w, false, true)));
      hs.push(h);
    }
    // Saved: x, W_in, W_hh, h_1..h_T, then h0 when given.
    save([x, wIn, w, ...hs, ...(hInit ? [hInit] : [])]);
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs3, Win, W] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
      const hSaved = saved.slice(3, 3 + T) as tf.Tensor2D[];
      const start = saved.length > 3 + T ? (saved[3 + T] as tf.Tensor2D) : null;
      const dAs: tf.Tensor2D[] = new Array(T);
      let delta: tf.Tensor2D = dy;
      for (let t = T - 1; t >= 0; t--) {
        dAs[t] = tf.mul(delta, tf.sub(1, tf.square(hSaved[t])));
        if (t > 0 || start) delta = tf.matMul(dAs[t], W);
      }
      const dA = tf.reshape(tf.stack(dAs), [T * B, N]);
      // h_{t-1} for every step: [h0 (or zeros); h_1..h_{T-1}].
      const prevList = [start ?? tf.zeros<tf.Rank.R2>([B, N]), ...hSaved.slice(0, T - 1)];
      const prev = tf.reshape(tf.stack(prevList), [T * B, N]);
      const dW = tf.matMul(dA, prev, true, false);
      const dWin = tf.matMul(dA, tf.reshape(xs3, [T * B, D]), true, false);
      const dX = tf.reshape(tf.matMul(dA, Win), [T, B, D]);
      return start ? [dX, dWin, dW, delta] : [dX, dWin, dW];
    };
    return { value: hs[T - 1], gradFunc };
  };
  if (h0) {
    const op = tf.customGrad((x, wIn, w, hInit, save) =>
      run(x as tf.Tensor3D, wIn as tf.Tensor2D, w as tf.Tensor2D, hInit as tf.Tensor2D, save as tf.GradSaveFunc),
    );
    return op(xTime, weightIn, weightHh, h0) as tf.Tensor2D;
  }
  const op = tf.customGrad((x, wIn, w, save) => run(x as tf.Tensor3D, wIn as tf.Tensor2D, w as tf.Tensor2D, null, save as tf.GradSaveFunc));
  return op(xTime, weightIn, weightHh) as tf.Tensor2D;
}
