// @vitest-environment jsdom
/**
 * Hover isolation: hovering a heatmap step re-renders the spectrum panel (which draws the hovered
 * step) and nothing else: not the Workbench, not the heatmap, flip, alignment or training panels.
 * Render counts come from wrapping the real panels.
 */
import { act, createElement, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it, vi } from 'vitest';
import { createRng } from '../../src/core/rng';
import { specForConfig } from '../../src/data/encodings';
import { useHoverStore } from '../../src/store/hoverStore';
import { useRunStore } from '../../src/store/runStore';
import { makeBundle } from './bundleFixture';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const renders: Record<string, number> = {};
/** The real component, counting its renders under `name`. */
function counted<P extends object>(name: string, Real: ComponentType<P>): ComponentType<P> {
  renders[name] = 0;
  return (props: P) => {
    renders[name]++;
    return createElement(Real, props);
  };
}
vi.mock('../../src/ui/panels/FlipPlot', async (orig) => {
  const m = await orig<typeof import('../../src/ui/panels/FlipPlot')>();
  return { ...m, FlipPlot: counted('FlipPlot', m.FlipPlot) };
});
vi.mock('../../src/ui/panels/PixelHeatmap', async (orig) => {
  const m = await orig<typeof import('../../src/ui/panels/PixelHeatmap')>();
  return { ...m, PixelHeatmap: counted('PixelHeatmap', m.PixelHeatmap) };
});
vi.mock('../../src/ui/panels/SpectrumPlot', async (orig) => {
  const m = await orig<typeof import('../../src/ui/panels/SpectrumPlot')>();
  return { ...m, SpectrumPlot: counted('SpectrumPlot', m.SpectrumPlot) };
});
vi.mock('../../src/ui/panels/TrainingPanel', async (orig) => {
  const m = await orig<typeof import('../../src/ui/panels/TrainingPanel')>();
  return { ...m, TrainingPanel: counted('TrainingPanel', m.TrainingPanel) };
});

describe('hover isolation', () => {
  it('a hover re-renders the spectrum panel only', async () => {
    const { Workbench } = await import('../../src/ui/Workbench');
    const bundle = makeBundle(3, { epochs: 2 });
    const config = bundle.config;
    const spec = specForConfig(config.encoding, config.permute, config.seed);
    const rng = createRng(3);
    useRunStore.getState().set({
      config,
      epochs: bundle.epochs,
      probe: {
        indices: bundle.probe.indices,
        labels: bundle.probe.labels,
        side: spec.side,
        digits: bundle.probe.indices.map(() => Array.from({ length: spec.side * spec.side }, () => rng.next())),
        stepToCells: spec.stepToCells.map((c) => c.map(([r, cc]) => [r, cc] as [number, number])),
        T: spec.T,
        D: spec.D,
      },
    });
    const container = document.createElement('div');
    document.body.appendChild(container);
    const root = createRoot(container);
    act(() => root.render(createElement(Workbench)));
    expect(container.querySelector('[data-testid="flip-plot"]')).not.toBeNull();
    const before = { ...renders };
    expect(before.SpectrumPlot).toBeGreaterThan(0);
    expect(before.FlipPlot).toBeGreaterThan(0);

    act(() => useHoverStore.getState().setStep(5));
    act(() => useHoverStore.getState().setStep(6));
    expect(renders.SpectrumPlot).toBe(before.SpectrumPlot + 2);
    for (const other of ['FlipPlot', 'PixelHeatmap', 'TrainingPanel']) expect(renders[other], other).toBe(before[other]);

    // A store change that every panel shows still re-renders them (the counters are live).
    act(() => useRunStore.getState().set({ selectedProbe: 1 }));
    expect(renders.FlipPlot).toBeGreaterThan(before.FlipPlot);
    act(() => root.unmount());
  });
});
