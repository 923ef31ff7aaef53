/**
 * Worker half of the GPU-engine check page: trains the fused-webgl engine inside a dedicated worker
 * (its own OffscreenCanvas context, as the training worker will) on the batches it is sent and
 * posts back the losses, so the page can compare them with FastRnn.
 */
import { createFusedWebglTrainer } from '../model/fused/webgl/engine';
import type { RnnModelOptions } from '../model/rnn';

interface WorkerRequest {
  options: RnnModelOptions;
  batches: { x: Float32Array; y: Int32Array }[];
  B: number;
  T: number;
  D: number;
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const { options, batches, B, T, D } = e.data;
  try {
    const trainer = await createFusedWebglTrainer(options);
    const losses: number[] = [];
    for (const b of batches) losses.push((await trainer.trainBatch(b.x, b.y, B, T, D)).loss);
    const renderer = trainer.renderer;
    trainer.dispose();
    self.postMessage({ losses, renderer });
  } catch (err) {
    self.postMessage({ error: (err as Error).message });
  }
};
