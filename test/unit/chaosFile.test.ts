/**
 * Reading an `ftle-lab chaos` sweep back (src/core/formats/chaos.ts), as the gallery's edge-of-chaos
 * item is: exponents return in ln per step from a file in bits, the mean-field values are ln g
 * below the transition (analytic), and a damaged file names the field at fault.
 */
import { describe, expect, it } from 'vitest';
import { chaosFileObject } from '../../src/cli/chaosCommand';
import { chaosSweep } from '../../src/core/dynamics/edgeOfChaos';
import { parseChaosFile } from '../../src/core/formats/chaos';
import { FormatError } from '../../src/core/formats/errors';

const sweep = chaosSweep([0.5, 2], [0, 1], { hidden: 8, k: 8, steps: 20, transient: 10, drive: null });

describe('parseChaosFile', () => {
  it('a file in bits per step reads back in ln per step', () => {
    const back = parseChaosFile(JSON.stringify(chaosFileObject(sweep, '2')));
    expect(back.meanfield[0]).toBeCloseTo(Math.log(0.5), 12);
    back.spectrum.forEach((perSeed, i) =>
      perSeed.forEach((spec, j) => spec.forEach((v, a) => expect(v).toBeCloseTo(sweep.spectrum[i][j][a], 12))),
    );
    expect(back.kaplanYorke).toEqual(sweep.kaplanYorke);
    // Exponents make a round trip through bits: equal to rounding.
    for (const key of ['lambda1Spread', 'finiteSizeBias'] as const)
      back[key].forEach((v, i) => expect(v, `${key}[${i}]`).toBeCloseTo(sweep[key][i], 12));
    const exponents = {
      spectrum: null,
      lambda1: null,
      lambda1Mean: null,
      lambda1Err: null,
      meanfield: null,
      meanfieldBand: null,
      lambda1Spread: null,
      finiteSizeBias: null,
    };
    expect({ ...back, ...exponents }).toEqual({ ...sweep, ...exponents });
  });

  it('names the field at fault', () => {
    const file = chaosFileObject(sweep, 'e') as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>) => () => parseChaosFile(JSON.stringify({ ...file, ...patch }));
    expect(bad({ format: 'ftle-lab.run/v1' })).toThrow(FormatError);
    expect(bad({ format: 'ftle-lab.run/v1' })).toThrow(/^format: /);
    expect(bad({ spectrum: [[[0]]] })).toThrow(/^spectrum: expected an array of 2/);
    expect(bad({ spectrum: [sweep.spectrum[0], [sweep.spectrum[1][0], [0]]] })).toThrow(/^spectrum\[1\]\[1\]: expected an array of 8/);
    expect(
      bad({
        lambda1: [
          [0, 'x'],
          [0, 0],
        ],
      }),
    ).toThrow(/^lambda1\[0\]\[1\]: expected a finite number/);
    expect(bad({ k: 9 })).toThrow(/^k: exceeds hidden = 8/);
    expect(() => parseChaosFile('{')).toThrow(/not valid JSON/);
  });
});
