/**
 * Spawns the two module workers with typed post/receive. Vite bundles each worker from the
 * `new URL(..., import.meta.url)` pattern.
 */
import type { AnalyzerCommand, AnalyzerEvent, TrainerCommand, TrainerEvent } from './protocol';

export interface TypedWorker<Cmd, Ev> {
  post(cmd: Cmd, transfer?: Transferable[]): void;
  onEvent(handler: (ev: Ev) => void): void;
  /** Uncaught exceptions inside the worker (script errors, failed imports). */
  onCrash(handler: (message: string) => void): void;
  terminate(): void;
}

function wrap<Cmd, Ev>(worker: Worker): TypedWorker<Cmd, Ev> {
  return {
    post: (cmd, transfer) => worker.postMessage(cmd, transfer ?? []),
    onEvent: (handler) => {
      worker.onmessage = (e: MessageEvent<Ev>) => handler(e.data);
    },
    onCrash: (handler) => {
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        handler(e.message || 'the worker stopped with an unknown error');
      };
      worker.onmessageerror = () => handler('a message from the worker could not be decoded');
    },
    terminate: () => worker.terminate(),
  };
}

export function spawnTrainer(): TypedWorker<TrainerCommand, TrainerEvent> {
  return wrap(new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'ftle-trainer' }));
}

export function spawnAnalyzer(): TypedWorker<AnalyzerCommand, AnalyzerEvent> {
  return wrap(new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'ftle-analyzer' }));
}
