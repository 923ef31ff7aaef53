import { describe, expect, it } from 'vitest';
import { clvPanelData } from '../../src/core/dynamics/clvAnalysis';
import { analyzeEpochDynamics } from '../../src/core/analysis/epochAnalysis';
import { loadFixture } from './dynamics.fixtures';

describe("the CLV panel's numbers", () => {
  it('come from the epoch analysis: degrees, the closest approach of v1 and v2, the statistic beside Q', () => {
    const { weights, probe } = loadFixture('rnn_chaotic_g2_n16_t40_d1');
    const a = analyzeEpochDynamics(weights, probe, { k: 16, seed: 0 }).alignment!;
    const b = probe.B - 1;
    const d = clvPanelData(a, b)!;
    expect(d.firstTwoDeg).toHaveLength(probe.T + 1);
    const rad = a.clvFirstTwoAngle![b];
    expect(d.firstTwoDeg[5]).toBeCloseTo((rad[5] * 180) / Math.PI, 12);
    expect(d.minFirstTwoDeg).toBe(Math.min(...d.firstTwoDeg));
    expect(d.firstTwoDeg[d.minAt]).toBe(d.minFirstTwoDeg);
    // At t = T the CLVs are Q (C_T = I): orthogonal, 90 degrees; v_1 = q_1 always (angle 0).
    expect(d.firstTwoDeg[probe.T]).toBeCloseTo(90, 6);
    expect(d.vsQDeg[0]).toBeLessThan(1e-5);
    expect(d.vsQDeg.every((x) => x >= 0 && x <= 90)).toBe(true);
    expect(d.qStd).toEqual(a.paperStd);
    expect(d.clvStd).toEqual(a.paperStdClv);
    expect(d.summary).toMatch(/with Q, .* with covariant vectors/);
    expect(clvPanelData({ ...a, paperStdClv: undefined }, 0)).toBeNull();
  });
});
