import { describe, expect, it } from 'vitest';
import { calibrateTrainers } from '../../src/model/fast/calibrate';

describe('calibrateTrainers', () => {
  it('picks the candidate with the lowest median step time, dropping failing candidates', async () => {
    // A fake clock: each step advances it by the candidate's cost (one slow outlier for "fast").
    let clock = 0;
    const costs: Record<string, number[]> = { slow: [9, 9, 9, 9], fast: [2, 50, 2, 2] };
    const idx: Record<string, number> = { slow: 0, fast: 0 };
    const cand = (name: string) => ({ name, step: () => void (clock += costs[name][idx[name]++]) });
    const broken = { name: 'webgl', step: () => { throw new Error('no WebGL'); } };
    const r = await calibrateTrainers([cand('slow'), broken, cand('fast')], 3, 1, () => clock);
    expect(r.best).toBe('fast');
    expect(r.msPerStep).toEqual({ slow: 9, fast: 2 });
  });
  it('throws when every candidate fails, naming the errors', async () => {
    await expect(calibrateTrainers([{ name: 'x', step: () => { throw new Error('boom'); } }])).rejects.toThrow(/x: boom/);
  });
});
