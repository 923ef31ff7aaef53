/**
 * Ephemeral hover state, kept apart from the run store (as vitessce does) so that moving the mouse
 * over the heatmap re-renders only the components that subscribe to it.
 */
import { create } from 'zustand';

export interface HoverState {
  /** Hovered time step (0-based) of the selected probe, or null. */
  step: number | null;
  setStep: (t: number | null) => void;
}

export const useHoverStore = create<HoverState>()((set) => ({
  step: null,
  setStep: (t) => set((s) => (s.step === t ? s : { step: t })),
}));
