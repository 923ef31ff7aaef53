import { describe, expect, it } from 'vitest';
import { MAX_SEEDS, seedForIndex, seedList } from '../../src/core/seeds';
import { configFromHash, configToHash, PRESET_CONFIGS, validateConfig } from '../../src/core/formats/config';

describe('seed derivation', () => {
  it('seed_0 is the configured seed and seed_i is seed + i', () => {
    expect(seedList(1, 3)).toEqual([1, 2, 3]);
    expect(seedList(1234, 1)).toEqual([1234]);
    expect(seedForIndex(7, 5)).toBe(12);
  });
  it('wraps inside the 31-bit seed range instead of leaving it', () => {
    const top = 2 ** 31 - 1;
    expect(seedList(top, 3)).toEqual([top, 0, 1]);
    for (const s of seedList(top - 2, MAX_SEEDS)) expect(validateConfig({ ...PRESET_CONFIGS.quick, seed: s }).issues).toEqual([]);
  });
  it('gives distinct seeds for every allowed count', () => {
    expect(new Set(seedList(2 ** 31 - 5, MAX_SEEDS)).size).toBe(MAX_SEEDS);
  });
  it('refuses seeds outside the range and negative indices', () => {
    expect(() => seedForIndex(-1, 0)).toThrow(/seed/);
    expect(() => seedForIndex(2 ** 31, 0)).toThrow(/seed/);
    expect(() => seedForIndex(1, -1)).toThrow(/index/);
    expect(() => seedForIndex(1, 0.5)).toThrow(/index/);
  });
});

describe('the seeds config key', () => {
  it('defaults to 1, also for configs written before the key existed', () => {
    expect(PRESET_CONFIGS.quick.seeds).toBe(1);
    const { seeds: _, ...old } = PRESET_CONFIGS['paper-align'];
    expect(validateConfig(old).config?.seeds).toBe(1);
  });
  it('reads from and writes to the URL hash', () => {
    const { config, issues } = configFromHash('#preset=quick&seeds=3&epochs=1');
    expect(issues).toEqual([]);
    expect(config.seeds).toBe(3);
    expect(configToHash(config)).toBe('#preset=quick&epochs=1&seeds=3');
    expect(configToHash(PRESET_CONFIGS.quick)).toBe('#preset=quick');
  });
  it('refuses 0, 17 and fractions, naming the key and keeping the default', () => {
    for (const v of ['0', '17', '2.5', '']) {
      const { config, issues } = configFromHash(`#seeds=${v}`);
      expect(config.seeds).toBe(1);
      expect(issues.map((i) => i.key)).toEqual(['seeds']);
    }
  });
});
