import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { decodeModel, encodeModel, MODEL_FORMAT, paramTensors, specMetadata } from '../src/io/model-codec.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { initParams, paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { readModel as loadModel, writeModel as saveModel } from './model-files.js';

const spec = makeSpec([13, 7, 3]);
const params = initParams(paramTable(spec), 9);

describe('model files', () => {
  it('round-trips the spec and every parameter bit for bit', () => {
    const { spec: back, params: backParams } = decodeModel(encodeModel(spec, params), 'm.safetensors');
    expect(back).toEqual(spec);
    expect(backParams).toEqual(params);
  });

  it('is plain safetensors: aligned header, PyTorch names and shapes, little-endian F32 data', () => {
    const bytes = encodeModel(spec, params);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['0.weight']).toEqual({ dtype: 'F32', shape: [7, 13], data_offsets: [0, 7 * 13 * 4] });
    expect(header['2.bias'].shape).toEqual([3]);
    expect(header.__metadata__.layers).toBe('13,7,3');
    const { tensors } = decodeSafetensors(bytes, 'm');
    expect(tensors.get('2.weight')!.data[0]).toBe(params[7 * 13 + 7]);
  });

  it('refuses damaged or foreign files with a one-line error naming the file', () => {
    const good = encodeModel(spec, params);
    const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['truncated data', good.subarray(0, good.length - 4)],
      ['truncated header', good.subarray(0, 20)],
      [
        'huge header length',
        (() => {
          const b = good.slice();
          b[7] = 0x7f;
          return b;
        })(),
      ],
      [
        'not json',
        (() => {
          const b = good.slice();
          b[8] = 0x41;
          return b;
        })(),
      ],
      ['wrong layers', encodeModel(makeSpec([13, 8, 3]), initParams(paramTable(makeSpec([13, 8, 3])), 1)).slice()],
      [
        'a later format version',
        encodeSafetensors(paramTensors(spec, params), { format: MODEL_FORMAT, version: '3', ...specMetadata(spec) }),
      ],
    ];
    // A file whose metadata claims other layers than its tensors have.
    const lying = cases[5][1];
    const text = new TextDecoder().decode(lying.subarray(8, 8 + headerLength + 8));
    expect(text).toContain('"13,8,3"');
    const patched = new TextEncoder().encode(text.replace('"13,8,3"', '"13,9,3"'));
    lying.set(patched, 8);
    for (const [what, bytes] of cases) {
      let error: unknown;
      try {
        decodeModel(bytes, 'bad.safetensors');
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(UserError);
      expect((error as Error).message, what).toMatch(/^bad\.safetensors: /);
      expect((error as Error).message, what).not.toContain('\n');
    }
    expect(() => decodeModel(cases[6][1], 'v3.safetensors')).toThrow(
      /^v3\.safetensors: model file version 3, this program reads versions 1 and 2/,
    );
  });

  it("keeps an image classifier's metadata as it was (version 1), and a table's description in version 2", () => {
    const metadata = (bytes: Uint8Array) => decodeSafetensors(bytes, 'm').metadata;
    expect(Object.keys(metadata(encodeModel(spec, params))).sort()).toEqual([
      'activation',
      'format',
      'input_mean',
      'input_std',
      'layers',
      'loss',
      'version',
    ]);
    expect(metadata(encodeModel(spec, params)).version).toBe('1');
    const data = {
      features: ['a', 'b, "c"'],
      featureMean: [Math.fround(0.1), -3],
      featureStd: [Math.fround(2.7), 1],
      targets: ['y', 'z'],
      targetMean: [10, Math.fround(-0.3)],
      targetStd: [Math.fround(4.1), 1],
    };
    const regression = makeSpec([2, 5, 2], { task: 'regression', loss: 'mse', data });
    const regressionParams = initParams(paramTable(regression), 4);
    const bytes = encodeModel(regression, regressionParams);
    expect(metadata(bytes)).toMatchObject({
      version: '2',
      task: 'regression',
      features: '["a","b, \\"c\\""]',
      target_std: JSON.stringify(data.targetStd),
    });
    const back = decodeModel(bytes, 'r.safetensors');
    expect(back.spec).toEqual(regression);
    expect(back.params).toEqual(regressionParams);
    const classifier = makeSpec([2, 3], {
      data: { ...data, targets: ['k'], classes: ['x', 'y', 'z'], targetMean: undefined, targetStd: undefined },
    });
    const classifierBack = decodeModel(
      encodeModel(classifier, initParams(paramTable(classifier), 1)),
      'c.safetensors',
    ).spec;
    expect(classifierBack.data).toEqual({
      features: data.features,
      featureMean: data.featureMean,
      featureStd: data.featureStd,
      targets: ['k'],
      classes: ['x', 'y', 'z'],
    });
    // A description that does not fit the layers is refused in one line.
    const lying = encodeSafetensors(paramTensors(regression, regressionParams), {
      format: MODEL_FORMAT,
      version: '2',
      ...specMetadata(regression),
      features: '["a"]',
    });
    expect(() => decodeModel(lying, 'l.safetensors')).toThrow(
      /^l\.safetensors: bad model metadata: the table description does not fit the model: the features must be 2 names; /,
    );
  });

  it('writes atomically: replaces the old file whole and leaves no temporary file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-'));
    const file = path.join(dir, 'model.safetensors');
    saveModel(file, spec, params);
    const changed = params.map((x) => x * 2);
    saveModel(file, spec, changed);
    expect(loadModel(file).params).toEqual(changed);
    writeFileAtomic(path.join(dir, 'r.json'), '{}');
    expect(fs.readdirSync(dir).sort()).toEqual(['model.safetensors', 'r.json']);
    expect(() => loadModel(path.join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors: cannot read/);
    fs.rmSync(dir, { recursive: true });
  });
});
