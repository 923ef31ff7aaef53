// @vitest-environment jsdom
/**
 * The presentational panels mounted in jsdom: data in through props, actions out through
 * callbacks. Checks the automation testids, keyboard control of the epoch slider, the heatmap's
 * pointer -> cell -> step -> tooltip path on a permuted encoding, and SVG export.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRng, permutation } from '../../src/core/rng';
import type { EpochSnapshot, FlipSummary } from '../../src/core/snapshot';
import {
  AlignmentPlot,
  EpochTimeline,
  ExportButtons,
  FlipPlot,
  LogitsPlot,
  PixelHeatmap,
  SpectrumPlot,
  TrainingPanel,
  probeLnR,
} from '../../src/ui/panels';
import { sequenceSpec } from '../../src/data/encodings';
import { renderLogitsPlot } from '../../src/ui/renderers/logits';
import { composeFigureGrid } from '../../src/ui/renderers/export';
import { currentFigures } from '../../src/ui/panels/figures';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

beforeAll(() => {
  // jsdom has no canvas backend: report "no context" (the renderers handle it) instead of logging "not implemented".
  HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement['getContext'];
});

let root: Root | null = null;
let container: HTMLDivElement;
function mount(el: React.ReactElement): HTMLDivElement {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  act(() => root!.render(el));
  return container;
}
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  container?.remove();
});

/**
 * Demo data factory: EpochSnapshot-shaped epochs for a pixel14 run (S = 14, T = 196), seeded,
 * with B probes, k tracked vectors, N hidden units and a flip summary on K k-values.
 */
function demoSnapshots(epochs: number, seed = 7): { snaps: EpochSnapshot[]; B: number; T: number; k: number; N: number } {
  const rng = createRng(seed);
  const B = 3,
    T = 196,
    k = 4,
    N = 32,
    C = 10,
    R = 5;
  const kList = [1, 2, 5, 10, 20];
  const snaps: EpochSnapshot[] = [];
  for (let e = 0; e < epochs; e++) {
    const lnR = Array.from({ length: B * T * k }, (_, i) => 0.3 * rng.normal() - 0.05 * ((i % k) + 1));
    const spectrum = Array.from({ length: B }, () => Array.from({ length: k }, (_, i) => -0.05 * (i + 1) + 0.01 * rng.normal()));
    const K = kList.length;
    const mat = (rows: number, cols: number, f: () => number) => Array.from({ length: rows }, () => Array.from({ length: cols }, f));
    const softmax = () => {
      const z = Array.from({ length: C }, () => Math.exp(rng.normal()));
      const s = z.reduce((a, b) => a + b, 0);
      return z.map((v) => v / s);
    };
    const flip: FlipSummary = {
      n: 1,
      kList,
      R,
      baseLoss: Array.from({ length: B }, () => 0.5),
      dL: { top: mat(K, B, () => 0.2 + 0.1 * rng.next()), bottom: mat(K, B, () => 0.01 * rng.normal()) },
      dLRand: Array.from({ length: K }, () => mat(R, B, () => 0.05 * rng.next())),
      zTest: {
        d: kList.map(() => 0.1),
        sigma: kList.map(() => 0.05),
        p: [0.2, 0.04, 0.01, 0.001, 0.001],
        pHolm: [0.2, 0.08, 0.03, 0.004, 0.004],
      },
      wilcoxon: {
        top: {
          medianDiff: kList.map(() => 0.1),
          meanDiff: kList.map(() => 0.1),
          p: [0.3, 0.1, 0.02, 0.01, 0.01],
          pHolm: [0.3, 0.2, 0.06, 0.04, 0.04],
        },
      },
      band: { top: kList.map(() => [0.2, 0.3]) },
      effect: { top: kList.map(() => 1) },
      singleFlip: mat(B, T, () => 0.001 * rng.normal()),
      scores: Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => lnR[(b * T + t) * k])),
      absDLdx: mat(B, T, () => rng.next()),
      kFig: 20,
      softmaxOrig: Array.from({ length: B }, softmax),
      softmaxTop: Array.from({ length: B }, softmax),
      softmaxRand: Array.from({ length: B }, softmax),
    };
    snaps.push({
      epoch: e,
      metrics: {
        trainLoss: e === 0 ? NaN : 2 / (e + 1),
        trainAcc: e === 0 ? NaN : 0.5 + 0.1 * e,
        testLoss: 2.3 / (e + 1),
        testAcc: 0.1 + 0.2 * e,
        msPerStep: e === 0 ? NaN : 80,
        epochMs: 1000,
        analysisMs: 300,
        numTensors: 12,
      },
      T,
      N,
      k,
      lnR,
      spectrum,
      saturation: 0.01 * e,
      qrGradRelErr: 1e-13,
      alignment: {
        steps: [98, 196],
        paperStd: [0.1 + 0.02 * e, 0.12 + 0.02 * e],
        paperStdRandomQ: [0.09, 0.09],
        paperStdMismatched: [0.085, 0.09],
        paperStdWhh: [0.1, 0.1],
        nullCosStd: 1 / Math.sqrt(N),
        m: [1, 4],
        overlapLeft: mat(2, 2, () => 0.2),
        overlapRight: mat(2, 2, () => 0.1),
        overlapLeftStd: mat(2, 2, () => 0.02),
        overlapRightStd: mat(2, 2, () => 0.02),
        overlapLeftMismatched: mat(2, 2, () => 0.05),
        overlapLeftWhh: mat(2, 2, () => 0.06),
        overlapNull: [1 / N, 4 / N],
        cosMatrix: mat(10, 5, () => rng.normal() * 0.3),
        effectiveRank: [1.2, 1.3],
      },
      flip,
    });
  }
  return { snaps, B, T, k, N };
}

const points = (snaps: EpochSnapshot[]) =>
  snaps.map((s) => ({
    epoch: s.epoch,
    trainLoss: s.metrics.trainLoss,
    testLoss: s.metrics.testLoss,
    trainAcc: s.metrics.trainAcc,
    testAcc: s.metrics.testAcc,
  }));

describe('EpochTimeline', () => {
  it('slider selects epochs with the arrow keys, and follow-live jumps to the newest epoch', () => {
    const { snaps } = demoSnapshots(4);
    const onSelect = vi.fn();
    const onFollow = vi.fn();
    const c = mount(
      <EpochTimeline points={points(snaps)} selectedEpoch={1} onSelectEpoch={onSelect} followLive onFollowLiveChange={onFollow} />,
    );
    const slider = c.querySelector<HTMLInputElement>('[data-testid="epoch-slider"]')!;
    expect(slider.type).toBe('range');
    expect(slider.getAttribute('aria-label')).toBeTruthy();
    expect(slider.max).toBe('3');
    expect(slider.value).toBe('1');
    act(() => {
      slider.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    });
    expect(onSelect).toHaveBeenLastCalledWith(2);
    // Moving off the newest epoch stops following live.
    expect(onFollow).toHaveBeenLastCalledWith(false);
    act(() => {
      slider.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    });
    expect(onSelect).toHaveBeenLastCalledWith(0);
    expect(c.querySelectorAll('path.sparkline').length).toBe(2);
    const button = c.querySelector<HTMLButtonElement>('button.follow-live')!;
    expect(button.getAttribute('aria-pressed')).toBe('true');
  });

  it('turning follow-live on selects the last epoch', () => {
    const { snaps } = demoSnapshots(3);
    const onSelect = vi.fn();
    const onFollow = vi.fn();
    const c = mount(
      <EpochTimeline points={points(snaps)} selectedEpoch={0} onSelectEpoch={onSelect} followLive={false} onFollowLiveChange={onFollow} />,
    );
    act(() => {
      c.querySelector<HTMLButtonElement>('button.follow-live')!.click();
    });
    expect(onFollow).toHaveBeenCalledWith(true);
    expect(onSelect).toHaveBeenCalledWith(2);
  });
});

describe('PixelHeatmap', () => {
  it('maps the pointer to the permuted step, shows t= and flip dL in the tooltip, reports the step', () => {
    const { snaps, T, k } = demoSnapshots(1);
    const S = 14;
    const perm = permutation(S * S, createRng(1234));
    const stepToCells = sequenceSpec('pixel14', perm).stepToCells;
    const pixels = Array.from({ length: S * S }, (_, i) => (i % 3 === 0 ? 0.9 : 0));
    const lnR = probeLnR(snaps[0].lnR, 1, T, k);
    const singleFlip = snaps[0].flip!.singleFlip[1];
    const onHover = vi.fn();
    const c = mount(
      <PixelHeatmap
        S={S}
        T={T}
        k={k}
        pixels={pixels}
        lnR={lnR}
        stepToCells={stepToCells}
        singleFlip={singleFlip}
        n={1}
        onNChange={() => {}}
        normalization="probe"
        onNormalizationChange={() => {}}
        onHoverStep={onHover}
        size={280}
      />,
    );
    const canvas = c.querySelector<HTMLCanvasElement>('canvas[data-testid="pixel-heatmap"]')!;
    expect(canvas.width).toBe(S);
    canvas.getBoundingClientRect = () => ({
      left: 10,
      top: 20,
      width: 280,
      height: 280,
      right: 290,
      bottom: 300,
      x: 10,
      y: 20,
      toJSON: () => ({}),
    });
    const tooltip = c.querySelector<HTMLDivElement>('[data-testid="heatmap-tooltip"]')!;
    expect(tooltip.hidden).toBe(true);
    // Centre of cell (row 3, col 5): 20 px per cell.
    const Ev = (window.PointerEvent ?? MouseEvent) as typeof MouseEvent;
    act(() => {
      canvas.dispatchEvent(new Ev('pointermove', { bubbles: true, clientX: 10 + 5 * 20 + 10, clientY: 20 + 3 * 20 + 10 }));
    });
    const flat = 3 * S + 5;
    let step = -1;
    for (let t = 0; t < perm.length; t++) if (perm[t] === flat) step = t;
    expect(onHover).toHaveBeenLastCalledWith(step);
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toContain(`t=${step + 1}`);
    expect(tooltip.textContent).toContain('row 3, col 5');
    expect(tooltip.textContent).toMatch(/flip dL=-?[\d.e-]+/);
    // React derives onPointerLeave from pointerout with the element the pointer went to.
    act(() => {
      canvas.dispatchEvent(new Ev('pointerout', { bubbles: true, relatedTarget: document.body }));
    });
    expect(tooltip.hidden).toBe(true);
    expect(onHover).toHaveBeenLastCalledWith(null);
  });

  it('exposes n and colour-normalisation controls through callbacks', () => {
    const { snaps, T, k } = demoSnapshots(1);
    const onN = vi.fn();
    const onNorm = vi.fn();
    const c = mount(
      <PixelHeatmap
        S={14}
        T={T}
        k={k}
        pixels={new Float64Array(196)}
        lnR={probeLnR(snaps[0].lnR, 0, T, k)}
        stepToCells={sequenceSpec('pixel14', null).stepToCells}
        n={1}
        onNChange={onN}
        normalization="probe"
        onNormalizationChange={onNorm}
      />,
    );
    const nInput = c.querySelector<HTMLInputElement>('input[type="number"]')!;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    act(() => {
      setter.call(nInput, '3');
      nInput.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(onN).toHaveBeenCalledWith(3);
    const select = c.querySelector<HTMLSelectElement>('select')!;
    const selSetter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')!.set!;
    act(() => {
      selSetter.call(select, 'epoch');
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(onNorm).toHaveBeenCalledWith('epoch');
    // Colour key spans the probe's own max |s_t(1)|.
    const ticks = Array.from(c.querySelectorAll('svg.heatmap-legend .tick text')).map((t) => Number(t.textContent!.replace('\u2212', '-')));
    expect(ticks[1]).toBe(0);
    expect(ticks[2]).toBeCloseTo(-ticks[0], 12);
  });
});

describe('chart panels', () => {
  it('FlipPlot: chart, one table row per k with significant rows marked, preview k control', () => {
    const { snaps } = demoSnapshots(1);
    const onK = vi.fn();
    const c = mount(
      <FlipPlot
        flip={snaps[0].flip}
        probe={0}
        pixels={new Float64Array(196)}
        stepToCells={sequenceSpec('pixel14', null).stepToCells}
        S={14}
        previewK={5}
        onPreviewKChange={onK}
      />,
    );
    const root = c.querySelector('[data-testid="flip-plot"]')!;
    expect(root.querySelectorAll('svg circle.top-marker').length).toBe(5);
    expect(root.querySelectorAll('svg circle.top-marker.significant').length).toBe(2); // pHolm 0.04, 0.04
    expect(root.querySelectorAll('[data-testid="flip-table"] tbody tr').length).toBe(5);
    expect(root.querySelectorAll('[data-testid="flip-table"] tbody tr.significant').length).toBe(2);
    // Every ranking is compared with random, not only R-top.
    const rankings = Object.keys(snaps[0].flip!.dL);
    expect(root.querySelectorAll('[data-testid="flip-comparison-table"] tbody tr').length).toBe(rankings.length);
    expect(root.querySelector('[data-testid="verdict-flip"]')!.textContent).toMatch(/R-top/);
    expect(root.querySelector('details summary')!.textContent).toMatch(/what am i looking at/i);
    const sel = root.querySelector<HTMLSelectElement>('.flip-preview select')!;
    const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')!.set!;
    act(() => {
      setter.call(sel, '20');
      sel.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(onK).toHaveBeenCalledWith(20);
  });

  it('FlipPlot: R-top, random and the strongest control by default; legend entries toggle series; rows in row mode', () => {
    const { snaps } = demoSnapshots(1);
    const flip = snaps[0].flip!;
    const c = mount(<FlipPlot flip={flip} probe={0} previewK={5} onPreviewKChange={() => {}} unit="row" />);
    const svg = c.querySelector('[data-testid="flip-plot"] svg.viz-chart')!;
    const drawn = () =>
      Array.from(svg.querySelectorAll('path.series'))
        .map((p) => p.getAttribute('class')!.replace('series series-', ''))
        .sort();
    const others = Object.keys(flip.dL).filter((n) => n !== 'top' && n !== 'bottom');
    expect(drawn()).toContain('top');
    expect(drawn()).toContain('random');
    expect(drawn().length).toBe(others.length > 0 ? 3 : 2);
    // Every ranking stays in the legend; a click on a hidden one shows it, on a shown one hides it.
    const entry = (key: string) => svg.querySelector<SVGGElement>(`g.legend-item[data-series="${key}"]`)!;
    expect(entry('bottom').getAttribute('aria-pressed')).toBe('false');
    act(() => {
      entry('bottom').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    expect(drawn()).toContain('bottom');
    act(() => {
      entry('random').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    expect(drawn()).not.toContain('random');
    expect(svg.textContent).toContain('k rows flipped');
    expect(c.querySelector('[data-testid="flip-table"] thead')!.textContent).toContain('k rows');
  });

  it('FlipPlot without a flip analysis shows an empty state', () => {
    const c = mount(<FlipPlot flip={null} probe={0} previewK={1} onPreviewKChange={() => {}} />);
    expect(c.querySelector('[data-testid="flip-plot"] [role="status"]')).not.toBeNull();
  });

  it('AlignmentPlot: null line at 1/sqrt(N), a |cos| matrix of 10 x 5 cells, m selector', () => {
    const { snaps, N } = demoSnapshots(3);
    const onM = vi.fn();
    const c = mount(
      <AlignmentPlot epochs={snaps.map((s) => ({ epoch: s.epoch, alignment: s.alignment }))} selectedEpoch={1} m={4} onMChange={onM} />,
    );
    const root = c.querySelector('[data-testid="alignment-plot"]')!;
    expect(root.querySelector('g.paper-panel text.null-label')!.textContent).toContain(
      (1 / Math.sqrt(N)).toPrecision(3).replace(/0+$/, ''),
    );
    expect(root.querySelector('g.overlap-panel text.null-label')!.textContent).toContain('m=4');
    expect(root.querySelectorAll('rect.cos-cell').length).toBe(50);
    expect(root.querySelectorAll('g.dots-paper circle').length).toBe(3);
    // The claim's line is drawn after (on top of) every control.
    const series = Array.from(root.querySelectorAll('g.paper-panel path.series')).map((p) => p.getAttribute('class'));
    expect(series.at(-1)).toBe('series series-paper');
    expect(root.querySelector('[data-testid="verdict-alignment"]')!.textContent).toContain('vs null');
  });

  it('AlignmentPlot: the |cos| matrix follows the selected probe', () => {
    const { snaps } = demoSnapshots(2);
    const perProbe = [0.1, 0.7].map((v) => Array.from({ length: 10 }, () => Array.from({ length: 5 }, () => v)));
    const epochs = snaps.map((s) => ({ epoch: s.epoch, alignment: { ...s.alignment!, cosMatrices: perProbe, cosMatrix: perProbe[0] } }));
    const cellValues = (c: HTMLElement) =>
      new Set(Array.from(c.querySelectorAll('rect.cos-cell title')).map((t) => t.textContent!.split('= ')[1]));
    const c0 = mount(<AlignmentPlot epochs={epochs} selectedEpoch={1} m={4} onMChange={() => {}} probe={0} />);
    expect([...cellValues(c0)]).toEqual(['0.1']);
    const c1 = mount(<AlignmentPlot epochs={epochs} selectedEpoch={1} m={4} onMChange={() => {}} probe={1} />);
    expect([...cellValues(c1)]).toEqual(['0.7']);
    expect(c1.querySelector('[data-testid="cos-matrix"] figcaption')!.textContent).toContain('probe #2');
  });

  it('SpectrumPlot: faded earlier epochs, hovered step line, ln/log2 toggle', () => {
    const { snaps, T, k } = demoSnapshots(3);
    const onLog2 = vi.fn();
    const c = mount(
      <SpectrumPlot
        epochs={snaps.map((s) => ({ epoch: s.epoch, spectrum: s.spectrum }))}
        selectedEpoch={2}
        probeLnR={probeLnR(snaps[2].lnR, 0, T, k)}
        T={T}
        k={k}
        probe={0}
        hoveredStep={41}
        log2={false}
        onLog2Change={onLog2}
      />,
    );
    const root = c.querySelector('[data-testid="spectrum-plot"]')!;
    expect(root.querySelectorAll('path.spectrum-earlier').length).toBe(2);
    expect(root.querySelectorAll('g.spectrum-dots circle').length).toBe(k);
    expect(root.querySelector('line.hover-step')).not.toBeNull();
    expect(root.textContent).toContain('t=42');
    act(() => {
      root.querySelector<HTMLButtonElement>('button[aria-pressed]')!.click();
    });
    expect(onLog2).toHaveBeenCalledWith(true);
  });

  it('LogitsPlot: 30 bars for the selected probe', () => {
    const { snaps } = demoSnapshots(1);
    const c = mount(<LogitsPlot flip={snaps[0].flip} probe={2} label={7} />);
    const root = c.querySelector('[data-testid="logits-plot"]')!;
    expect(root.querySelectorAll('rect.bar').length).toBe(30);
    const p = snaps[0].flip!.softmaxTop[2][4];
    const bar = root.querySelector('rect.bar[data-group="rFlipped"][data-class="4"]')!;
    expect(Number(bar.getAttribute('height'))).toBeCloseTo(p * (280 - 24 - 64), 9);
  });

  it('TrainingPanel: curves and diagnostics', () => {
    const { snaps } = demoSnapshots(3);
    const c = mount(
      <TrainingPanel
        points={points(snaps)}
        batchLoss={[2, 1.5, 1.2, 1]}
        batchesPerEpoch={2}
        diagnostics={{ backend: 'CPU · WebAssembly SIMD', engine: 'fast-wasm', precision: 'float32', msPerStep: 80, numTensors: 12 }}
      />,
    );
    expect(c.querySelectorAll('g.acc-panel g.dots-testAcc circle').length).toBe(3);
    const dl = c.querySelector('dl.diagnostics')!.textContent!;
    expect(dl).toContain('wasm');
    expect(dl).toContain('80 ms');
    expect(c.querySelector('[data-testid="epoch-engine"]')!.textContent).toBe('fast-wasm');
  });
});

describe('ExportButtons', () => {
  it('downloads the serialised SVG of its target', async () => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    renderLogitsPlot(svg, { original: [0.5, 0.5], rFlipped: [0.1, 0.9], randomFlipped: [0.5, 0.5], k: 1 });
    const blobs: Blob[] = [];
    const created = vi.fn((b: Blob) => {
      blobs.push(b);
      return 'blob:x';
    });
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: () => {} });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const c = mount(<ExportButtons getTarget={() => svg} name="logits" what="logits plot" />);
    act(() => {
      c.querySelector<HTMLButtonElement>('button[aria-label="Export logits plot as SVG"]')!.click();
    });
    expect(clicked).toHaveBeenCalledTimes(1);
    expect(blobs[0].type).toContain('image/svg+xml');
    const text = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.readAsText(blobs[0]);
    });
    expect((text.match(/class="bar"/g) ?? []).length).toBe(6);
    clicked.mockRestore();
  });

  it('the heatmap SVG export writes one vector cell per image cell, the digit, the colour key, title, epoch and probe', async () => {
    const { snaps, T, k } = demoSnapshots(1);
    const S = 14;
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: (b: Blob) => {
        blobs.push(b);
        return 'blob:x';
      },
      revokeObjectURL: () => {},
    });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const pixels = Array.from({ length: S * S }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const c = mount(
      <PixelHeatmap
        S={S}
        T={T}
        k={k}
        pixels={pixels}
        lnR={probeLnR(snaps[0].lnR, 0, T, k)}
        stepToCells={sequenceSpec('pixel14', null).stepToCells}
        n={1}
        onNChange={() => {}}
        normalization="probe"
        onNormalizationChange={() => {}}
        caption="epoch 4 · probe #1, a “7”"
      />,
    );
    act(() => {
      c.querySelector<HTMLInputElement>('[data-testid="heatmap-overlay"]')!.click();
    });
    act(() => {
      c.querySelector<HTMLButtonElement>('button[aria-label="Export pixel heatmap as SVG"]')!.click();
    });
    expect(clicked).toHaveBeenCalledTimes(1);
    const text = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.readAsText(blobs[0]);
    });
    // Heatmap and digit: S*S cells each; the overlay inks every fifth pixel.
    expect((text.match(/class="heat-cell"/g) ?? []).length).toBe(S * S);
    expect((text.match(/class="digit-cell"/g) ?? []).length).toBe(S * S);
    expect((text.match(/class="ink-cell"/g) ?? []).length).toBe(Math.ceil((S * S) / 5));
    expect(text).toContain('Expansion per pixel s_t(n)');
    expect(text).toContain('epoch 4 · probe #1');
    expect(text).toContain('legend-ramp');
    clicked.mockRestore();
  });

  it('every panel exports a figure with its title, epoch, probe, verdict and legend; the whole view is one SVG', async () => {
    const { snaps } = demoSnapshots(2);
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: (b: Blob) => {
        blobs.push(b);
        return 'blob:x';
      },
      revokeObjectURL: () => {},
    });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const c = mount(
      <>
        <FlipPlot flip={snaps[1].flip} probe={0} previewK={5} onPreviewKChange={() => {}} caption="epoch 1 · probe #1, a “3”" />
        <AlignmentPlot
          epochs={snaps.map((s) => ({ epoch: s.epoch, alignment: s.alignment }))}
          selectedEpoch={1}
          m={4}
          onMChange={() => {}}
          caption="epoch 1 · probe #1, a “3”"
        />
      </>,
    );
    const read = (b: Blob) =>
      new Promise<string>((resolve) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result));
        r.readAsText(b);
      });
    act(() => {
      c.querySelector<HTMLButtonElement>('button[aria-label="Export flip plot as SVG"]')!.click();
    });
    const flipSvg = await read(blobs[0]);
    expect(flipSvg).toContain('Flip test: does R rank the pixels that matter?');
    expect(flipSvg).toContain('epoch 1 · probe #1');
    expect(flipSvg).toContain(c.querySelector('[data-testid="verdict-flip"]')!.textContent!.slice(0, 40).replace(/&/g, '&amp;'));
    expect(flipSvg).toContain('class="legend"');
    // The verdict's plain sentence comes first, then its statistics, as the panel shows them.
    // (Parsed as HTML: jsdom's XMLSerializer writes xmlns twice, which an XML parser rejects.)
    const parse = (svgText: string) => Object.assign(document.createElement('div'), { innerHTML: svgText });
    const lines = (svgText: string, cls: string) => [...parse(svgText).querySelectorAll(`text.${cls}`)].map((t) => t.textContent).join(' ');
    const order = [...parse(flipSvg).querySelectorAll('text')].map((t) => t.getAttribute('class'));
    expect(lines(flipSvg, 'figure-plain')).toBe(c.querySelector('[data-testid="verdict-flip-plain"]')!.textContent);
    expect(lines(flipSvg, 'figure-note')).toBe(c.querySelector('[data-testid="verdict-flip"]')!.textContent);
    expect(order.lastIndexOf('figure-plain')).toBeLessThan(order.indexOf('figure-note'));
    act(() => {
      c.querySelector<HTMLButtonElement>('button[aria-label="Export alignment plot as SVG"]')!.click();
    });
    const alignSvg = await read(blobs[1]);
    expect(alignSvg).toContain('cos-cell');
    expect(alignSvg).toContain('null 1/√N');
    const grid = composeFigureGrid('whole view', currentFigures(), 3);
    expect(grid.querySelectorAll(':scope > svg').length).toBe(2);
    expect(grid.textContent).toContain('Flip test');
    expect(grid.textContent).toContain('Do Lyapunov vectors align');
    // The whole view carries each panel's plain sentence too.
    const alignPlain = c.querySelector('[data-testid="verdict-alignment-plain"]')!.textContent!;
    expect(lines(new XMLSerializer().serializeToString(grid), 'figure-plain')).toContain(alignPlain);
    clicked.mockRestore();
  });

  it('keyboard: focusing the heatmap and pressing arrows moves a cursor cell with the tooltip readout and an outline', () => {
    const { snaps, T, k } = demoSnapshots(1);
    const S = 14;
    const onHover = vi.fn();
    const c = mount(
      <PixelHeatmap
        S={S}
        T={T}
        k={k}
        pixels={new Float64Array(S * S)}
        lnR={probeLnR(snaps[0].lnR, 0, T, k)}
        stepToCells={sequenceSpec('pixel14', null).stepToCells}
        singleFlip={snaps[0].flip!.singleFlip[0]}
        n={1}
        onNChange={() => {}}
        normalization="probe"
        onNormalizationChange={() => {}}
        onHoverStep={onHover}
      />,
    );
    const focus = c.querySelector<HTMLDivElement>('[data-testid="heatmap-focus"]')!;
    const tooltip = c.querySelector<HTMLDivElement>('[data-testid="heatmap-tooltip"]')!;
    expect(focus.tabIndex).toBe(0);
    act(() => {
      focus.focus();
    });
    expect(tooltip.textContent).toContain('row 7, col 7');
    act(() => {
      focus.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    });
    act(() => {
      focus.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    });
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toContain('row 6, col 8');
    expect(tooltip.textContent).toContain(`t=${6 * S + 8 + 1}`);
    expect(onHover).toHaveBeenLastCalledWith(6 * S + 8);
    const outline = c.querySelector<HTMLDivElement>('[data-testid="heatmap-outline"]')!;
    expect(outline.hidden).toBe(false);
    expect(parseFloat(outline.style.left)).toBeCloseTo((8 / S) * 100, 9);
    expect(parseFloat(outline.style.top)).toBeCloseTo((6 / S) * 100, 9);
    // Cell in the upper right: the tooltip goes to the lower left, away from it.
    expect(tooltip.style.bottom).toBe('4px');
    expect(tooltip.style.left).toBe('4px');
    act(() => {
      focus.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    expect(tooltip.hidden).toBe(true);
  });

  it('touch: a tap inspects a cell and the readout stays when the finger lifts', () => {
    const { snaps, T, k } = demoSnapshots(1);
    const S = 14;
    const c = mount(
      <PixelHeatmap
        S={S}
        T={T}
        k={k}
        pixels={new Float64Array(S * S)}
        lnR={probeLnR(snaps[0].lnR, 0, T, k)}
        stepToCells={sequenceSpec('pixel14', null).stepToCells}
        n={1}
        onNChange={() => {}}
        normalization="probe"
        onNormalizationChange={() => {}}
      />,
    );
    const canvas = c.querySelector<HTMLCanvasElement>('canvas[data-testid="pixel-heatmap"]')!;
    canvas.getBoundingClientRect = () => ({
      left: 0,
      top: 0,
      width: 280,
      height: 280,
      right: 280,
      bottom: 280,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    });
    const touch = (type: string, x: number, y: number) => {
      const e = new MouseEvent(type, {
        bubbles: true,
        clientX: x,
        clientY: y,
        relatedTarget: type === 'pointerout' ? document.body : null,
      });
      Object.defineProperty(e, 'pointerType', { value: 'touch' });
      return e;
    };
    const tooltip = c.querySelector<HTMLDivElement>('[data-testid="heatmap-tooltip"]')!;
    // Row 2, col 11 (20 px cells).
    act(() => {
      canvas.dispatchEvent(touch('pointerdown', 11 * 20 + 10, 2 * 20 + 10));
    });
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toContain('row 2, col 11');
    act(() => {
      canvas.dispatchEvent(touch('pointerout', 11 * 20 + 10, 2 * 20 + 10));
    });
    expect(tooltip.hidden).toBe(false);
  });

  it('row-wise: the readout speaks of the whole row and the outline spans it', () => {
    const { snaps, k } = demoSnapshots(1);
    const S = 14;
    const stepToCells = Array.from({ length: S }, (_, t) => Array.from({ length: S }, (_, col) => [t, col] as [number, number]));
    const lnR = probeLnR(snaps[0].lnR, 0, 196, k).subarray(0, S * k);
    const c = mount(
      <PixelHeatmap
        S={S}
        T={S}
        k={k}
        pixels={new Float64Array(S * S)}
        lnR={lnR}
        stepToCells={stepToCells}
        n={1}
        onNChange={() => {}}
        normalization="probe"
        onNormalizationChange={() => {}}
      />,
    );
    const focus = c.querySelector<HTMLDivElement>('[data-testid="heatmap-focus"]')!;
    act(() => {
      focus.focus();
    });
    const tooltip = c.querySelector<HTMLDivElement>('[data-testid="heatmap-tooltip"]')!;
    expect(tooltip.textContent).toContain(`row 7 (all ${S} pixels), t=8`);
    expect(c.querySelector('h2')!.textContent).toContain('per row');
    const outline = c.querySelector<HTMLDivElement>('[data-testid="heatmap-outline"]')!;
    expect(parseFloat(outline.style.width)).toBeCloseTo(100, 9);
  });
});
