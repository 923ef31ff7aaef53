/**
 * A shipped edge-of-chaos sweep the chaos view replays (the gallery's, app/gallery.ts): shown at
 * its gains instead of computing, while the view's settings are the sweep's (core/dynamics/
 * chaosView.ts sweepFitsView). Null: the view computes everything live.
 */
import { create } from 'zustand';
import type { ChaosSweep } from '../core/dynamics/edgeOfChaos';

export interface ChaosReplayState {
  replay: { title: string; command: string; sweep: ChaosSweep } | null;
  set: (replay: ChaosReplayState['replay']) => void;
}

export const useChaosReplayStore = create<ChaosReplayState>((set) => ({
  replay: null,
  set: (replay) => set({ replay }),
}));
