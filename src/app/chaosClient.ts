/**
 * Main-thread side of the edge-of-chaos worker (src/worker/chaos.worker.ts), in src/app as the UI reaches workers only through here. Requests of one kind coalesce: while one runs, only
 * the newest waiting request is kept (a dragged slider asks for many gains; the spectrum shown is
 * the one for where it stopped), so the worker never falls behind.
 */
import type { ChaosSpectrum, ChaosSweep } from '../core/dynamics/edgeOfChaos';
import type { ChaosCommand, ChaosDrive, ChaosEvent } from '../worker/chaosProtocol';

type Kind = ChaosCommand['type'];
type Request =
  | { type: 'spectrum'; g: number; hidden: number; k: number; drive: ChaosDrive }
  | { type: 'curve'; hidden: number; drive: ChaosDrive };

export interface ChaosClientHandlers {
  /** engine: 'gpu' or 'cpu'; fallback: why a GPU attempt ran on the CPU instead. */
  onSpectrum: (r: ChaosSpectrum, ms: number, engine: 'gpu' | 'cpu', fallback?: string) => void;
  onCurve: (r: ChaosSweep, ms: number) => void;
  onError: (message: string) => void;
}

export interface ChaosClient {
  request(r: Request): void;
  dispose(): void;
}

/** Starts the worker; handlers get the answers to the newest request of each kind only. */
export function createChaosClient(h: ChaosClientHandlers): ChaosClient {
  const worker = new Worker(new URL('../worker/chaos.worker.ts', import.meta.url), { type: 'module' });
  let seq = 0;
  const running: Record<Kind, number | null> = { spectrum: null, curve: null };
  const waiting: Record<Kind, Request | null> = { spectrum: null, curve: null };
  const send = (r: Request) => {
    const id = ++seq;
    running[r.type] = id;
    worker.postMessage({ ...r, id } as ChaosCommand);
  };
  worker.onmessage = (e: MessageEvent<ChaosEvent>) => {
    const ev = e.data;
    const kind: Kind | null = running.spectrum === ev.id ? 'spectrum' : running.curve === ev.id ? 'curve' : null;
    if (!kind) return;
    running[kind] = null;
    const next = waiting[kind];
    waiting[kind] = null;
    if (next) send(next);
    else if (ev.type === 'error') h.onError(ev.message);
    else if (ev.type === 'spectrum') h.onSpectrum(ev.result, ev.ms, ev.engine, ev.fallback);
    else h.onCurve(ev.result, ev.ms);
  };
  worker.onerror = (e) => h.onError(`the chaos worker failed: ${e.message || 'unknown error'}`);
  return {
    request(r) {
      if (running[r.type] !== null) waiting[r.type] = r;
      else send(r);
    },
    dispose: () => worker.terminate(),
  };
}
