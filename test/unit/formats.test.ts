import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/formats/errors';
import { expectedShapes, modelToJson, parseModelJson, parseModelObject, TENSOR_NAMES } from '../../src/core/formats/model';
import { modelJson, trainedModelWeights } from '../../src/model/export';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { checkProbeForModel, parseProbeJson, parseProbeObject, probeToJson } from '../../src/core/formats/probe';

const dir = new URL('../fixtures/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');
const CASES = [
  'rnn_n8_t12_d1',
  'rnn_n16_t28_d28_trained',
  'gru_n8_t10_d2',
  'lstm_n8_t10_d2',
  'rnn_linear_n12_t40_d1',
  'rnn_chaotic_g2_n16_t40_d1',
];

/** Returns the FormatError thrown by fn (fails the test if none or another kind is thrown). */
function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('ftle-lab.model/v1', () => {
  it.each(CASES)('reads %s with the sizes and values of the file', (name) => {
    const raw = JSON.parse(read(`${name}.model.json`));
    const w = parseModelJson(read(`${name}.model.json`));
    expect(w.arch).toBe(raw.arch);
    expect([w.inputSize, w.hiddenSize, w.numClasses]).toEqual([raw.input_size, raw.hidden_size, raw.num_classes]);
    for (const [k, t] of Object.entries(raw.tensors) as [string, { data: number[] }][]) {
      expect(Array.from(w.tensors[k as keyof typeof w.tensors])).toEqual(t.data);
    }
    // Round trip through the writer.
    const again = parseModelObject(JSON.parse(JSON.stringify(modelToJson(w))));
    expect(Array.from(again.tensors.weight_hh_l0)).toEqual(raw.tensors.weight_hh_l0.data);
  });

  it('the training side writes through the same writer: trained tensors round-trip with input block and provenance', () => {
    const w = parseModelJson(read('rnn_n8_t12_d1.model.json'));
    const shapes = expectedShapes(w.arch, w.inputSize, w.hiddenSize, w.numClasses);
    const tensors = Object.fromEntries(TENSOR_NAMES.map((n) => [n, { shape: shapes[n], data: Float32Array.from(w.tensors[n]) }]));
    const json = modelJson(tensors, { encoding: 'pixel28', permutation: null }, { ...PRESET_CONFIGS.quick, hidden: w.hiddenSize });
    expect(json).toEqual({
      ...modelToJson(trainedModelWeights(tensors, { encoding: 'pixel28', permutation: null })),
      trained_with: { ...PRESET_CONFIGS.quick, hidden: w.hiddenSize },
    });
    const back = parseModelObject(JSON.parse(JSON.stringify(json)));
    expect(Array.from(back.tensors.weight_hh_l0)).toEqual(Array.from(Float32Array.from(w.tensors.weight_hh_l0)));
    expect(back.input).toEqual({ encoding: 'pixel28', permutation: null, normalize: null });
  });

  const base = () => JSON.parse(read('rnn_n8_t12_d1.model.json'));

  it('names the field of a wrong shape', () => {
    const m = base();
    m.tensors.weight_hh_l0.shape = [8, 9];
    const e = formatError(() => parseModelObject(m));
    expect(e.field).toBe('tensors.weight_hh_l0.shape');
    expect(e.message).toBe('tensors.weight_hh_l0.shape: expected [8, 8], got [8, 9]');
  });

  it('names the field of a wrong data length, a non-finite value, a missing tensor, a bad arch', () => {
    let m = base();
    m.tensors['fc.bias'].data.pop();
    expect(formatError(() => parseModelObject(m)).field).toBe('tensors.fc.bias.data');
    m = base();
    m.tensors.bias_ih_l0.data[3] = 'x';
    expect(formatError(() => parseModelObject(m)).field).toBe('tensors.bias_ih_l0.data[3]');
    expect(formatError(() => parseModelJson(read('rnn_n8_t12_d1.model.json').replace('"data":[0.3428515173', '"data":[1e999'))).field).toBe(
      'tensors.weight_ih_l0.data[0]',
    );
    m = base();
    delete m.tensors.weight_ih_l0;
    expect(formatError(() => parseModelObject(m)).field).toBe('tensors.weight_ih_l0');
    m = base();
    m.arch = 'transformer';
    expect(formatError(() => parseModelObject(m)).field).toBe('arch');
    m = base();
    m.format = 'ftle-lab.model/v2';
    expect(formatError(() => parseModelObject(m)).field).toBe('format');
    m = base();
    m.hidden_size = 1e9;
    expect(formatError(() => parseModelObject(m)).field).toBe('hidden_size');
  });

  it('rejects malformed JSON and ignores __proto__ keys', () => {
    expect(formatError(() => parseModelJson('{"format": ')).field).toBe('(root)');
    const text = read('rnn_n8_t12_d1.model.json').replace('{', '{"__proto__": {"polluted": 1}, ');
    const w = parseModelJson(text);
    expect(w.hiddenSize).toBe(8);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('checks the optional input block', () => {
    const m = JSON.parse(read('rnn_n16_t28_d28_trained.model.json'));
    m.input = { encoding: 'row', permutation: null, normalize: { mean: 0.13, std: 0.31 } };
    expect(parseModelObject(m).input).toEqual(m.input);
    m.input.permutation = [0, 1, 2];
    expect(formatError(() => parseModelObject(m)).field).toBe('input.permutation');
    m.input = { encoding: 'pixel14', permutation: null, normalize: null };
    expect(formatError(() => parseModelObject(m)).field).toBe('input.encoding');
  });
});

describe('ftle-lab.probe/v1', () => {
  it.each(CASES)('reads %s', (name) => {
    const raw = JSON.parse(read(`${name}.probe.json`));
    const p = parseProbeJson(read(`${name}.probe.json`));
    expect([p.B, p.T, p.D]).toEqual([raw.inputs.length, raw.inputs[0].length, raw.inputs[0][0].length]);
    expect(Array.from(p.inputs)).toEqual(raw.inputs.flat(2));
    expect(Array.from(p.labels)).toEqual(raw.labels);
    if (raw.h0) expect(Array.from(p.h0!)).toEqual(raw.h0.flat());
    if (raw.c0) expect(Array.from(p.c0!)).toEqual(raw.c0.flat());
    checkProbeForModel(p, parseModelJson(read(`${name}.model.json`)));
    expect(probeToJson(p)).toEqual(raw);
  });

  const base = () => JSON.parse(read('rnn_n8_t12_d1.probe.json'));

  it('names the field of ragged inputs, bad labels, bad h0, bad flip block', () => {
    let p = base();
    p.inputs[1].pop();
    expect(formatError(() => parseProbeObject(p)).field).toBe('inputs[1]');
    p = base();
    p.inputs[2][5] = [0.1, 0.2];
    expect(formatError(() => parseProbeObject(p)).field).toBe('inputs[2][5]');
    p = base();
    p.labels = [0, 1];
    expect(formatError(() => parseProbeObject(p)).field).toBe('labels');
    p = base();
    p.labels[0] = -1;
    expect(formatError(() => parseProbeObject(p)).field).toBe('labels[0]');
    p = base();
    p.h0[1][2] = null;
    expect(formatError(() => parseProbeObject(p)).field).toBe('h0[1][2]');
    p = base();
    p.flip = { n: 1, k_list: [1, 2], rand_sets: [[[3]], [[4, 4]]] };
    expect(formatError(() => parseProbeObject(p)).field).toBe('flip.rand_sets[1][0]');
    p.flip = { n: 1, k_list: [1, 2], rand_sets: [[[3]], [[4, 12]]] };
    expect(formatError(() => parseProbeObject(p)).field).toBe('flip.rand_sets[1][0][1]');
    p.flip = { n: 1, k_list: [1, 2], rand_sets: [[[3], [0]], [[4, 11]]] };
    expect(parseProbeObject(p).flip).toEqual({ n: 1, kList: [1, 2], randSets: [[[3], [0]], [[4, 11]]] });
  });

  it('checks a probe against a model', () => {
    const w = parseModelJson(read('rnn_n8_t12_d1.model.json'));
    const p = parseProbeObject(JSON.parse(read('rnn_n16_t28_d28_trained.probe.json')));
    expect(formatError(() => checkProbeForModel(p, w)).field).toBe('inputs');
    const q = base();
    q.labels[2] = 4;
    expect(formatError(() => checkProbeForModel(parseProbeObject(q), w)).field).toBe('labels[2]');
    const r = base();
    r.c0 = r.h0;
    expect(formatError(() => checkProbeForModel(parseProbeObject(r), w)).field).toBe('c0');
  });
});
