import { describe, expect, it } from 'vitest';
import { ENGINE_CHOICES } from '../../src/core/engines';
import {
  ENCODINGS,
  INITS,
  MAX_TRAINING_THREADS,
  OPTIMIZERS,
  PRESETS,
  PRESET_CONFIGS,
  RunConfigSchema,
  configFromHash,
  configToHash,
  validateConfig,
  type RunConfig,
} from '../../src/core/formats/config';
import { createRng, type Rng } from '../../src/core/rng';

/** configFromHash must never throw; returns its result for the assertions. */
function parse(hash: string) {
  let out: ReturnType<typeof configFromHash> | undefined;
  expect(() => (out = configFromHash(hash))).not.toThrow();
  return out!;
}

describe('URL hash -> RunConfig', () => {
  it('round-trips every preset exactly and writes the shortest link', () => {
    for (const preset of PRESETS) {
      const hash = configToHash(PRESET_CONFIGS[preset]);
      expect(hash).toBe(`#preset=${preset}`);
      const { config, issues } = parse(hash);
      expect(issues).toEqual([]);
      expect(config).toEqual(PRESET_CONFIGS[preset]);
    }
  });

  it('round-trips 2,000 seeded random valid configs, including awkward floats', () => {
    const rng = createRng(20250601);
    const pick = <T>(xs: readonly T[], r: Rng) => xs[r.int(xs.length)];
    for (let i = 0; i < 2000; i++) {
      const preset = pick(PRESETS, rng);
      const c: RunConfig = {
        ...PRESET_CONFIGS[preset],
        epochs: 1 + rng.int(1000),
        seed: rng.int(2 ** 31),
        backend: pick(ENGINE_CHOICES, rng),
        threads: rng.next() < 0.3 ? 'auto' : 1 + rng.int(MAX_TRAINING_THREADS),
        encoding: pick(ENCODINGS, rng),
        permute: rng.int(2),
        hidden: 2 + rng.int(1023),
        init: pick(INITS, rng),
        // Log-uniform floats exercise the shortest-round-trip number printing (e.g. 1.2345678901234567e-7).
        gain: Math.exp(Math.log(1e-6) + rng.next() * Math.log(1e8)),
        optimizer: pick(OPTIMIZERS, rng),
        lr: Math.exp(Math.log(1e-8) + rng.next() * Math.log(1e9)),
        batch: 1 + rng.int(4096),
        clip: rng.next() < 0.3 ? 0 : rng.next() * 1e6,
        bias: rng.int(2),
        reduction: rng.next() < 0.5 ? 'mean' : 'sum',
        probes: 1 + rng.int(256),
        k: 1 + rng.int(1024),
        n: 1 + rng.int(1024),
        draws: 1 + rng.int(1000),
        subset: 0.01 + rng.next() * 0.99,
      };
      expect(RunConfigSchema.safeParse(c).success).toBe(true);
      const { config, issues } = parse(configToHash(c));
      expect(issues).toEqual([]);
      expect(config).toEqual(c);
    }
  });

  it('threads= is auto (the default) or a count 1..16, both ways through the URL; anything else is refused by name', () => {
    expect(PRESET_CONFIGS.quick.threads).toBe('auto');
    expect(parse('#preset=quick').config.threads).toBe('auto');
    for (const w of [1, 2, 16]) {
      const { config, issues } = parse(`#preset=quick&threads=${w}&backend=fast-wasm`);
      expect(issues).toEqual([]);
      expect(config.threads).toBe(w);
      expect(configToHash(config)).toBe(`#preset=quick&backend=fast-wasm&threads=${w}`);
    }
    expect(parse('#threads=auto').config.threads).toBe('auto');
    expect(configToHash({ ...PRESET_CONFIGS.quick, threads: 'auto' })).toBe('#preset=quick');
    for (const bad of ['0', '17', '1.5', '-2', 'many', '']) {
      const r = parse(`#preset=quick&threads=${bad}`);
      expect(
        r.issues.map((i) => i.key),
        bad,
      ).toEqual(['threads']);
      expect(r.config.threads).toBe('auto');
    }
    // A config saved before the key existed (bundles, links) validates and reads as auto.
    const { threads: _, ...old } = PRESET_CONFIGS.quick;
    expect(validateConfig(old).config?.threads).toBe('auto');
    expect(validateConfig({ ...PRESET_CONFIGS.quick, threads: 3 }).config?.threads).toBe(3);
    expect(validateConfig({ ...PRESET_CONFIGS.quick, threads: 0 }).issues[0].key).toBe('threads');
  });

  it('takes valid keys over the preset and ignores unknown keys', () => {
    const { config, issues } = parse('#preset=pixel&epochs=1&seed=3&backend=wasm&lr=0.01&foo=1&toString=2&hasOwnProperty=3');
    expect(issues).toEqual([]);
    expect(config).toEqual({ ...PRESET_CONFIGS.pixel, epochs: 1, seed: 3, backend: 'fast-wasm', lr: 0.01 });
    // Without a leading '#' it reads the same.
    expect(parse('preset=pixel&epochs=1').config).toEqual({ ...PRESET_CONFIGS.pixel, epochs: 1 });
  });

  it('refuses hostile values naming the key, keeping the preset value, never throwing', () => {
    const hostile: [string, string][] = [
      ['epochs', 'NaN'],
      ['epochs', 'Infinity'],
      ['gain', '1e309'],
      ['lr', '-Infinity'],
      ['epochs', '-1'],
      ['seed', '-5'],
      ['batch', '0'],
      ['hidden', '1.5'],
      ['epochs', ''],
      ['clip', '-0.1'],
      ['lr', '1e-9'],
      ['subset', '1.0000001'],
      ['epochs', 'x'.repeat(100_000)],
      ['encoding', '__proto__'],
      ['optimizer', 'constructor'],
      ['backend', 'WEBGL'],
      ['permute', '2'],
      ['epochs', '%E0%A4%A'],
    ];
    for (const [key, raw] of hostile) {
      const hash = `#preset=paper-align&${key}=${raw}`;
      const { config, issues } = parse(hash);
      expect(
        issues.map((i) => i.key),
        hash.slice(0, 60),
      ).toEqual([key]);
      expect(config, hash.slice(0, 60)).toEqual(PRESET_CONFIGS['paper-align']);
    }
    // A key with no '=' at all is an empty value: refused, not treated as 0.
    expect(parse('#epochs').issues.map((i) => i.key)).toEqual(['epochs']);
  });

  it('refuses an unknown preset naming "preset" and falls back to quick', () => {
    const { config, issues } = parse('#preset=turbo&epochs=2');
    expect(issues.map((i) => i.key)).toEqual(['preset']);
    expect(issues[0].message).toMatch(/quick \| pixel/);
    expect(config).toEqual({ ...PRESET_CONFIGS.quick, epochs: 2 });
  });

  it('prototype keys in the hash change nothing and pollute nothing', () => {
    const { config, issues } = parse('#__proto__=1&constructor=2&prototype=3&__proto__[hidden]=999&epochs=2');
    expect(issues).toEqual([]);
    expect(config).toEqual({ ...PRESET_CONFIGS.quick, epochs: 2 });
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).hidden).toBeUndefined();
  });

  it('configFromHash copies the preset: editing the result never edits PRESET_CONFIGS', () => {
    const { config } = parse('#preset=quick');
    config.epochs = 999;
    expect(PRESET_CONFIGS.quick.epochs).toBe(3);
  });

  // A duplicated key is ambiguous (#epochs=2&epochs=500): refused, naming the key.
  it('refuses a duplicated key naming it', () => {
    const { config, issues } = parse('#epochs=2&epochs=500');
    expect(issues.map((i) => i.key)).toEqual(['epochs']);
    expect(config.epochs).toBe(PRESET_CONFIGS.quick.epochs);
  });

  // The message echoes the value: a 100 kB hash value must not become a 100 kB banner.
  it('keeps the message for a huge value short', () => {
    const { issues } = parse(`#epochs=${'x'.repeat(100_000)}`);
    expect(issues[0].message.length).toBeLessThan(300);
  });

  it('validateConfig names each bad key of an imported config object', () => {
    expect(validateConfig(PRESET_CONFIGS['paper-sensitivity'])).toEqual({ config: PRESET_CONFIGS['paper-sensitivity'], issues: [] });
    const bad = { ...PRESET_CONFIGS.quick, epochs: NaN, gain: Infinity, hidden: '32', preset: 'nope' };
    const keys = validateConfig(bad)
      .issues.map((i) => i.key)
      .sort();
    expect(keys).toEqual(['epochs', 'gain', 'hidden', 'preset']);
    expect(validateConfig(null).issues[0].key).toBe('(root)');
    // A "__proto__" key from JSON is an own property: zod must not read config values through it.
    const sneaky = JSON.parse('{"__proto__": ' + JSON.stringify(PRESET_CONFIGS.quick) + '}');
    const r = validateConfig(sneaky);
    expect(r.config).toBeUndefined();
    expect(r.issues.map((i) => i.key)).toContain('epochs');
  });
});
