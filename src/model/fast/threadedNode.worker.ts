/** worker_threads entry of a threaded-engine helper (threadedNode.ts): the browser helper's handler on parentPort. */
import { parentPort } from 'node:worker_threads';
import { helperHandler, type HelperCommand } from './threaded';

const port = parentPort!;
const handle = helperHandler((ev, transfer) => port.postMessage(ev, (transfer ?? []) as never));
port.on('message', (cmd: HelperCommand) => void handle(cmd));
