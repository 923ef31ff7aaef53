/**
 * Node's helpers for the threaded hand-written engine (threaded.ts) and the analysis pool:
 * worker_threads running the TypeScript sources through tsx (the CLI, the bench and the unit
 * tests run under tsx or vitest). Node-only: never imported by browser code.
 */
import { Worker } from 'node:worker_threads';
import type { HelperCommand, HelperEvent, HelperPort } from './threaded';

/**
 * Starts a worker_threads Worker running the TypeScript module `entry` (a file: URL) through tsx
 * (tsxWorkerBoot.mjs registers tsx inside the new thread).
 */
export function tsWorker(entry: URL, options: { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(new URL('./tsxWorkerBoot.mjs', import.meta.url), { workerData: { ...options.workerData, entry: entry.href } });
}

/** Starts one helper thread (threadedNode.worker.ts under tsx). */
export function nodeHelperSpawner(): HelperPort {
  const w = tsWorker(new URL('./threadedNode.worker.ts', import.meta.url));
  // A helper blocked on nothing keeps no event loop alive once the trainer is disposed.
  w.unref();
  return {
    post: (cmd: HelperCommand, transfer?: Transferable[]) => w.postMessage(cmd, (transfer ?? []) as never),
    onMessage: (h: (ev: HelperEvent) => void) => {
      w.on('message', h);
      w.on('error', (e) => h({ type: 'error', id: -1, message: e.message }));
    },
    terminate: () => void w.terminate(),
  };
}
