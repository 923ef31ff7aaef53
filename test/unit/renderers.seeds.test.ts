// @vitest-environment jsdom
/**
 * The across-seed chart: one dot per seed and epoch at the value's y, the mean's 95% interval as a
 * bar from lo to hi (recomputed here from the t quantile), the zero line at y(0).
 */
import { describe, expect, it } from 'vitest';
import type { SeedStatisticSeries } from '../../src/core/transforms/seeds';
import { renderSeedStatistic } from '../../src/ui/renderers/seeds';

describe('renderSeedStatistic', () => {
  it('draws every seed as a dot and the interval of the mean per epoch', () => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    // Values 1, 2, 3 at epoch 0: mean 2, sd 1, half-width t_{0.975,2} / sqrt(3) = 4.302653 / 1.732051 = 2.484138.
    const half = 4.302652729911275 / Math.sqrt(3);
    const series: SeedStatisticSeries = {
      label: 'gap',
      points: [
        { epoch: 0, seed: 5, value: 1 },
        { epoch: 0, seed: 6, value: 2 },
        { epoch: 0, seed: 7, value: 3 },
        { epoch: 1, seed: 5, value: 2 },
      ],
      means: [
        { epoch: 0, n: 3, mean: 2, lo: 2 - half, hi: 2 + half },
        { epoch: 1, n: 1, mean: 2, lo: NaN, hi: NaN },
      ],
    };
    const { y } = renderSeedStatistic(svg, series, { width: 400, height: 200, seeds: [5, 6, 7] });
    const dots = [...svg.querySelectorAll('circle.seed-dot')];
    expect(dots.map((d) => `${d.getAttribute('data-seed')}@${d.getAttribute('data-epoch')}`)).toEqual(['5@0', '6@0', '7@0', '5@1']);
    expect(dots.map((d) => Number(d.getAttribute('cy')))).toEqual([y(1), y(2), y(3), y(2)]);
    // seed_0 is black; the others take the palette.
    expect(dots[0].getAttribute('fill')).toBe('#000000');
    expect(dots[1].getAttribute('fill')).not.toBe('#000000');
    // One interval (epoch 0); one seed at epoch 1 has none.
    const ci = [...svg.querySelectorAll('line.seed-ci')];
    expect(ci).toHaveLength(1);
    expect(Number(ci[0].getAttribute('y1'))).toBeCloseTo(y(2 - half), 9);
    expect(Number(ci[0].getAttribute('y2'))).toBeCloseTo(y(2 + half), 9);
    expect(y.domain()[0]).toBeLessThanOrEqual(2 - half);
    expect(Number(svg.querySelector('line.seed-zero')!.getAttribute('y1'))).toBeCloseTo(y(0), 9);
  });
});
