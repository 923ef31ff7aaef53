import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import {
  bootFromHash,
  simulateAnalyzerCrash,
  simulateContextLoss,
  simulateDivergence,
  simulateWorkerCrash,
  startRun,
} from './app/controller';
import { useRunStore } from './store/runStore';
import { installPersistence, refreshUsage, restoreMatchingRun } from './app/persistRun';
import { installHashSync } from './app/hashSync';
import { installSeeds } from './app/seeds';
import { installStory } from './app/story';
import { setDeferredRendering, whenRedrawsIdle } from './ui/panels/useRenderer';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

installPersistence();
installSeeds();
installStory();
setDeferredRendering(true);
// Automation hook (documented in README): read-only access to the store for tests and scripts,
// and a way to rehearse a GPU reset.
(window as unknown as { ftleLab: unknown }).ftleLab = {
  store: useRunStore,
  simulateContextLoss,
  simulateDivergence,
  simulateWorkerCrash,
  simulateAnalyzerCrash,
  whenRedrawsIdle,
};
const config = bootFromHash();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
installHashSync();
// A stored run with this link's config comes back with all its snapshots; otherwise start fresh.
restoreMatchingRun(config)
  .then((restored) => {
    if (!restored) startRun(config);
  })
  .catch(() => startRun(config))
  .finally(() => void refreshUsage());
