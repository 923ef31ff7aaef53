/** The trainer's events, turned into store updates and analysis requests (the controller routes them here). */
import type { TrainerEvent } from '../worker/protocol';
import { useRunStore } from '../store/runStore';
import { analysisCommand, sendAnalysis } from './analysisRouting';
import { runEvents, type RunSession } from './session';

export function onTrainerEvent(session: RunSession, ev: TrainerEvent): void {
  const store = useRunStore.getState();
  switch (ev.type) {
    case 'progress':
      store.set({ progress: { what: ev.what, fraction: ev.fraction } });
      break;
    case 'ready':
      session.probeInputs = ev.probeInputs;
      store.set({
        engineInfo: ev.engineInfo,
        probe: ev.probe,
        dataSource: ev.dataSource,
        progress: null,
      });
      if (ev.engineInfo.fallbackReason) store.addBanner('info', `Using ${ev.engineInfo.engine}: ${ev.engineInfo.fallbackReason}`);
      for (const epoch of [...session.awaitingAnalysis.keys()].sort((x, y) => x - y)) sendAnalysis(session, epoch);
      break;
    case 'state': {
      const worker = { state: ev.state, epoch: ev.epoch, batch: ev.batch, batches: ev.batches, epochs: ev.epochs };
      // A Pause not yet seen by the worker: its 'training' echoes must not hide the 'pausing' shown.
      if (session.pauseRequested && ev.state === 'training') {
        store.set({ worker, trainedEpoch: ev.epoch });
        break;
      }
      session.pauseRequested = false;
      store.set({ status: ev.state, trainedEpoch: ev.epoch, worker, ...(ev.state === 'loading' ? {} : { progress: null }) });
      if (session.autostartPending && (ev.state === 'ready' || ev.state === 'paused')) {
        session.autostartPending = false;
        session.workers?.trainer?.post({ type: 'start' });
      } else if (session.autostartPending && ev.state === 'done') session.autostartPending = false;
      break;
    }
    case 'batch':
      store.addBatchLoss({ x: ev.epoch - 1 + (ev.step + 1) / ev.stepsPerEpoch, loss: ev.loss });
      break;
    case 'epoch': {
      session.lastWeights = { epoch: ev.epoch, weights: ev.weights };
      for (const f of runEvents.onWeights) f(store.runId, ev.epoch, ev.weights, ev.metrics);
      // A posted epoch is itself the worker's word that `ev.epoch` epochs are complete.
      store.set({
        pending: { ...store.pending, [ev.epoch]: ev.metrics },
        trainedEpoch: ev.epoch,
        ...(store.worker ? { worker: { ...store.worker, epoch: ev.epoch, batch: 0 } } : {}),
      });
      session.awaitingAnalysis.set(ev.epoch, analysisCommand(store.runId, ev.epoch, session.currentConfig ?? store.config, ev.weights));
      sendAnalysis(session, ev.epoch);
      break;
    }
    case 'diverged':
      store.addBanner('error', ev.message);
      break;
    case 'contextLost':
      store.set({ engineInfo: ev.engineInfo });
      store.addBanner('warning', ev.message);
      break;
    case 'engineChanged':
      store.set({ engineInfo: ev.engineInfo });
      store.addBanner('info', ev.message);
      break;
    case 'model':
      session.modelExportResolver?.(ev.json);
      session.modelExportResolver = null;
      break;
    case 'error':
      if (ev.fatal) store.set({ status: 'failed', progress: null });
      store.addBanner('error', ev.message);
      break;
  }
}
