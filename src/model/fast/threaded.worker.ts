/// <reference lib="webworker" />
/**
 * A helper thread of the threaded hand-written engine (threaded.ts) in the browser: one FastRnn
 * with its own kernels, answering each 'step' with the gradient block of its rows.
 */
import { helperHandler, type HelperCommand } from './threaded';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const handle = helperHandler((ev, transfer) => ctx.postMessage(ev, transfer ?? []));
ctx.onmessage = (e: MessageEvent<HelperCommand>) => void handle(e.data);
