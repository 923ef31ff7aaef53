// @vitest-environment jsdom
/**
 * Scrubbing transitions (src/ui/renderers/transitions.ts): after a redraw the spectrum's mean line
 * starts where the previous epoch's was and ends exactly where the renderer put it; a redraw in
 * the middle starts from the mid-flight geometry and ends on the newest data.
 */
import { describe, expect, it } from 'vitest';
import { spectrumChartData } from '../../src/core/transforms/spectrum';
import { renderSpectrumPlot } from '../../src/ui/renderers/spectrum';
import { interruptShapes, snapshotShapes, tweenFromSnapshot, TRANSITION_MS } from '../../src/ui/renderers/transitions';

const svgNS = 'http://www.w3.org/2000/svg';
const spectrum = (shift: number) => [
  [-0.1 + shift, -0.2 + shift, -0.3 + shift],
  [-0.12 + shift, -0.22 + shift, -0.35 + shift],
];
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Draws epoch `e` the way the app does when scrubbing: note, interrupt, redraw, tween. */
function redraw(svg: SVGSVGElement, e: number, shift: number) {
  const before = snapshotShapes(svg);
  interruptShapes(svg);
  renderSpectrumPlot(svg, spectrumChartData({ epoch: e, spectrum: spectrum(shift) }, []), { width: 400, height: 260 });
  tweenFromSnapshot(svg, before);
}

describe('scrub transitions', () => {
  it('a redrawn line starts at its old geometry and lands on the new one within the transition time', async () => {
    const svg = document.createElementNS(svgNS, 'svg') as SVGSVGElement;
    document.body.appendChild(svg);
    renderSpectrumPlot(svg, spectrumChartData({ epoch: 0, spectrum: spectrum(0) }, []), { width: 400, height: 260 });
    const d0 = svg.querySelector('path.spectrum-mean')!.getAttribute('d');
    const ref = document.createElementNS(svgNS, 'svg') as SVGSVGElement;
    renderSpectrumPlot(ref, spectrumChartData({ epoch: 1, spectrum: spectrum(0.05) }, []), { width: 400, height: 260 });
    const target = ref.querySelector('path.spectrum-mean')!.getAttribute('d');
    expect(target).not.toBe(d0);
    redraw(svg, 1, 0.05);
    expect(svg.querySelector('path.spectrum-mean')!.getAttribute('d')).toBe(d0);
    await wait(TRANSITION_MS + 150);
    expect(svg.querySelector('path.spectrum-mean')!.getAttribute('d')).toBe(target);
    expect(TRANSITION_MS).toBeLessThanOrEqual(250);
  });

  it('a redraw mid-transition interrupts it and ends on the newest data', async () => {
    const svg = document.createElementNS(svgNS, 'svg') as SVGSVGElement;
    document.body.appendChild(svg);
    renderSpectrumPlot(svg, spectrumChartData({ epoch: 0, spectrum: spectrum(0) }, []), { width: 400, height: 260 });
    redraw(svg, 1, 0.05);
    await wait(TRANSITION_MS / 3);
    redraw(svg, 2, -0.05);
    const ref = document.createElementNS(svgNS, 'svg') as SVGSVGElement;
    renderSpectrumPlot(ref, spectrumChartData({ epoch: 2, spectrum: spectrum(-0.05) }, []), { width: 400, height: 260 });
    await wait(TRANSITION_MS + 150);
    expect(svg.querySelector('path.spectrum-mean')!.getAttribute('d')).toBe(ref.querySelector('path.spectrum-mean')!.getAttribute('d'));
  });
});
