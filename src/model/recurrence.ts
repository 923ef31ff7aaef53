/**
 * The tanh recurrence h_t = tanh(u_t + h_{t-1} W_hh^T) over a whole sequence as ONE differentiable
 * op with a hand-written backward pass (tf.customGrad). tfjs speed is bound by per-op overhead
 * (platform-notes.md); autodiff of the unrolled loop costs ~8 kernels per step backward (tanh grad
 * 3, matMul grads 2, gradient accumulation, add grads), this backward costs 2 per step
 * (a multiply and a matMul) plus a few whole-sequence ops:
 *   D = 1 - H^2 (all steps at once); delta_T = dL/dh_T;
 *   dA_t = delta_t * D_t;  delta_{t-1} = dA_t W_hh;
 *   dL/du = [dA_1..dA_T];  dL/dW_hh = sum_t dA_t^T h_{t-1} (one matMul over [T*B, N]);  dL/dh_0 = delta_0.
 * Tested against the float64 fixtures' dL/dW_hh and against plain autodiff.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Last hidden state h_T [B, N] of h_t = tanh(u_t + h_{t-1} W_hh^T), t = 1..T.
 * u: [T, B, N] time-major input drive (W_ih x_t + biases); weightHh: [N, N] (PyTorch W_hh);
 * h0: [B, N], or null for zeros (then the first step skips its matMul).
 * Differentiable w.r.t. u, weightHh and h0.
 */
export function tanhRecurrence(u: tf.Tensor3D, weightHh: tf.Tensor2D, h0: tf.Tensor2D | null): tf.Tensor2D {
  const [T, B, N] = u.shape;
  if (T === 0) throw new RangeError('empty sequence (T = 0)');
  const run = (uIn: tf.Tensor3D, w: tf.Tensor2D, hInit: tf.Tensor2D | null, save: tf.GradSaveFunc) => {
    const drives = tf.unstack(uIn, 0) as tf.Tensor2D[];
    const hs: tf.Tensor2D[] = [];
    let h = hInit;
    for (let t = 0; t < T; t++) {
      h = tf.tanh(h === null ? drives[t] : tf.add<tf.Tensor2D>(drives[t], tf.matMul(h, w, false, true)));
      hs.push(h);
    }
    const H = tf.stack(hs) as tf.Tensor3D; // [T, B, N]
    save(hInit ? [H, w, hInit] : [H, w]);
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [Hs, W] = saved as [tf.Tensor3D, tf.Tensor2D];
      const start = saved.length > 2 ? (saved[2] as tf.Tensor2D) : null;
      const Ds = tf.unstack(tf.sub(1, tf.square(Hs)), 0) as tf.Tensor2D[];
      const dAs: tf.Tensor2D[] = new Array(T);
      let delta: tf.Tensor2D = dy;
      for (let t = T - 1; t >= 0; t--) {
        dAs[t] = tf.mul(delta, Ds[t]);
        if (t > 0 || start) delta = tf.matMul(dAs[t], W);
      }
      const dU = tf.stack(dAs) as tf.Tensor3D;
      // h_{t-1} for every step: [h0 (or zeros); H_1..H_{T-1}].
      const first = start ? tf.expandDims(start, 0) : tf.zeros([1, B, N]);
      const prev = T > 1 ? tf.concat([first, tf.slice(Hs, [0, 0, 0], [T - 1, B, N])], 0) : first;
      const dW = tf.matMul(tf.reshape(dU, [T * B, N]), tf.reshape(prev, [T * B, N]), true, false);
      return start ? [dU, dW, delta] : [dU, dW];
    };
    return { value: hs[T - 1], gradFunc };
  };
  if (h0) {
    const op = tf.customGrad((uIn, w, hInit, save) =>
      run(uIn as tf.Tensor3D, w as tf.Tensor2D, hInit as tf.Tensor2D, save as tf.GradSaveFunc),
    );
    return op(u, weightHh, h0) as tf.Tensor2D;
  }
  const op = tf.customGrad((uIn, w, save) => run(uIn as tf.Tensor3D, w as tf.Tensor2D, null, save as tf.GradSaveFunc));
  return op(u, weightHh) as tf.Tensor2D;
}
