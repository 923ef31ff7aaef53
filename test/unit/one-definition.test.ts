/**
 * What the panels display is what core computed: the heatmap's s_t(n), ranks and colour domain,
 * and the flip preview's image, checked against core's single definitions and the float64
 * reference fixture (its `flip.scores` and `flip.order` came from the Python reference, not from
 * this code; it stores 10 significant digits, hence the 1e-9 tolerance).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rankDescending, stepScoresFromLnR, writeFlippedSequence } from '../../src/core/sensitivity';
import {
  decodeSequence,
  encodeImages,
  encodingPermutation,
  flipImageSteps,
  gridImage,
  sequenceSpec,
  type ImageCell,
} from '../../src/data/encodings';
import { epochScoreHalfWidth, probeLnR, probeStepScores } from '../../src/core/transforms/heatmap';
import { HeatmapLookup } from '../../src/ui/renderers/heatmap';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/rnn_chaotic_g2_n16_t40_d1.expected.json', import.meta.url), 'utf8'));

describe('heatmap values equal core on the reference fixture', () => {
  const rvals: number[][][] = fixture.rvals;
  const B = rvals.length;
  const T = rvals[0].length;
  const k = fixture.k as number;
  const n = fixture.flip.n as number;
  const lnR = Float64Array.from(rvals.flat(2), Math.log);
  // T = 40 steps drawn in a 7 x 7 grid, row-major; the last 9 cells are fed by no step.
  const side = 7;
  const stepToCells: ImageCell[][] = Array.from({ length: T }, (_, t) => [[Math.floor(t / side), t % side]]);
  const coreScores = stepScoresFromLnR(lnR, B, T, k, n);

  it('hover score and rank of every cell are core s_t(n) and the reference ranking', () => {
    for (let b = 0; b < B; b++) {
      const probe = probeLnR(lnR, b, T, k);
      const lookup = new HeatmapLookup({
        S: side,
        T,
        k,
        pixels: new Float64Array(side * side),
        lnR: probe,
        scores: probeStepScores(probe, T, k, n),
        stepToCells,
      });
      const refOrder: number[] = fixture.flip.order[b];
      for (let t = 0; t < T; t++) {
        const info = lookup.describe(Math.floor(t / side), t % side)!;
        expect(info.step).toBe(t);
        expect(info.score).toBe(coreScores[b * T + t]);
        expect(Math.abs(info.score - fixture.flip.scores[b][t])).toBeLessThan(1e-9);
        expect(info.rank).toBe(refOrder.indexOf(t) + 1);
      }
      expect(Array.from(rankDescending(coreScores, T, b * T))).toEqual(refOrder);
    }
  });

  it('the epoch colour domain is the largest |s_t(n)| of the reference scores', () => {
    const ref = Math.max(...fixture.flip.scores.flat().map(Math.abs));
    expect(Math.abs(epochScoreHalfWidth(lnR, T, k, n) - ref)).toBeLessThan(1e-9);
  });
});

describe('flip preview image equals the flip test input change', () => {
  // One synthetic digit: the top half blank (below the flip threshold), the bottom half ink.
  const images = Uint8Array.from({ length: 784 }, (_, i) => (i < 392 ? 0 : 1 + ((i * 53) % 255)));
  for (const [encoding, permuted] of [
    ['row', false],
    ['pixel14', true],
    ['pixel28', true],
  ] as const) {
    it(`${encoding}${permuted ? ' permuted' : ''}: flipping the steps in the image = decoding core's flipped sequence`, () => {
      const spec = sequenceSpec(encoding, permuted ? encodingPermutation(encoding, 7) : null);
      const seq = encodeImages(images, [0], spec);
      const steps = Array.from({ length: spec.T }, (_, t) => t).filter((t) => t % 3 === 0);
      const flippedSeq = new Float64Array(spec.T * spec.D);
      writeFlippedSequence(seq, 0, spec.T, spec.D, steps, flippedSeq, 0);
      const expected = decodeSequence(flippedSeq, spec);
      const drawn = Float32Array.from(flipImageSteps(gridImage(images, 0, spec.side), steps, spec.stepToCells, spec.side));
      expect(Array.from(drawn)).toEqual(Array.from(expected));
      // Not vacuous: the flip changed cells in both directions.
      const before = gridImage(images, 0, spec.side);
      expect(drawn.some((v, i) => v === 1 && before[i] === 0)).toBe(true);
      expect(drawn.some((v, i) => v === 0 && before[i] > 0)).toBe(true);
    });
  }
});
