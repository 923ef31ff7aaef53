/**
 * The guided story's own state ("Check the claim", core/story.ts): the evidence of the steps
 * finished in this session and the step whose run is in progress. Kept in browser storage by
 * app/story.ts, so a reload resumes the story where it was.
 */
import { create } from 'zustand';
import type { RunConfig } from '../core/formats/config';
import type { StoryEvidence, StoryRunStep, StorySize } from '../core/story';

export interface StoryState {
  /** The evidence of each finished step (read when its run finished). */
  evidence: Partial<Record<StoryRunStep, StoryEvidence>>;
  /** The step whose run is under way (its run is the current run), the size and the config it was started with. */
  running: { step: StoryRunStep; size: StorySize; config: RunConfig } | null;
  set: (patch: Partial<Omit<StoryState, 'set'>>) => void;
}

export const useStoryStore = create<StoryState>((set) => ({
  evidence: {},
  running: null,
  set: (patch) => set(patch),
}));
