/**
 * The run store's partial snapshot (an epoch whose dynamics stage is done and flip stage is not):
 * shown after the complete epochs while following live, replaced by its complete snapshot, never
 * kept for an epoch already complete, and never part of `epochs` (what is persisted and exported).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { createRng } from '../../src/core/rng';
import type { PartialEpochSnapshot } from '../../src/core/snapshot';
import { selectShownOrPartial, selectShownSnapshots, useRunStore } from '../../src/store/runStore';
import { makeSnapshot } from './bundleFixture';

const config = { ...PRESET_CONFIGS.quick, hidden: 8, k: 4, probes: 3 };
const rng = createRng(5);
const snap = (epoch: number) => makeSnapshot(rng, config, 3, epoch);
const partialOf = (epoch: number): PartialEpochSnapshot => ({ ...snap(epoch), flip: null, partial: 'dynamics' });

describe('partial snapshots in the run store', () => {
  beforeEach(() => useRunStore.setState({ epochs: [], partial: null, pending: {}, selectedEpoch: null }));

  it('shows the partial epoch while following live, then its complete snapshot in its place', () => {
    const st = useRunStore.getState();
    st.addSnapshot(snap(0));
    st.setPartial(partialOf(1));
    let s = useRunStore.getState();
    expect(s.epochs.map((e) => e.epoch)).toEqual([0]);
    expect(selectShownSnapshots(s).map((e) => e.epoch)).toEqual([0, 1]);
    expect(selectShownOrPartial(s)?.flip).toBeNull();
    // The same inputs give the same array (a stable zustand selector).
    expect(selectShownSnapshots(s)).toBe(selectShownSnapshots(s));
    // Selecting epoch 0 shows it; following live again shows the partial.
    useRunStore.setState({ selectedEpoch: 0 });
    expect(selectShownOrPartial(useRunStore.getState())?.epoch).toBe(0);
    useRunStore.setState({ selectedEpoch: null });

    const complete = snap(1);
    useRunStore.getState().addSnapshot(complete);
    s = useRunStore.getState();
    expect(s.partial).toBeNull();
    expect(selectShownOrPartial(s)).toBe(complete);
    expect(selectShownSnapshots(s).map((e) => e.epoch)).toEqual([0, 1]);
  });

  it('ignores a partial of an epoch already complete, and keeps a newer one when an older epoch completes', () => {
    const st = useRunStore.getState();
    st.addSnapshot(snap(0));
    st.setPartial(partialOf(0));
    expect(useRunStore.getState().partial).toBeNull();
    st.setPartial(partialOf(2));
    useRunStore.getState().addSnapshot(snap(1));
    expect(useRunStore.getState().partial?.epoch).toBe(2);
    expect(selectShownSnapshots(useRunStore.getState()).map((e) => e.epoch)).toEqual([0, 1, 2]);
  });
});
