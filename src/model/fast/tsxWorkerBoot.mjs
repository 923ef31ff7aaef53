// worker_threads bootstrap for TypeScript entries in Node: registers tsx in this thread (a worker
// does not inherit the parent's loader hooks), then imports workerData.entry (a file: URL).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
