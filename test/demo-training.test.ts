/** The page's settings as MLP.fit's options: fit's own checks accept them, and they give back the same run. */
import { describe, expect, it } from 'vitest';
import { parseSettings, type Settings } from '../demo/src/settings.js';
import { fitOptionsOf } from '../demo/src/training.js';
import { trainOptionsOf } from '../src/api/options.js';
import { OPTIMIZERS } from '../src/model/optimizer.js';
import { makeSpec } from '../src/model/spec.js';

const basic = { hidden: '32', batch: '32', learningRate: '0.01', epochs: '2', seed: '7', backend: 'cpu' };
const parse = (text: Record<string, string>): Settings => {
  const parsed = parseSettings({ ...basic, ...text }, 2000, 'mnist');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe('the page trains with fit', () => {
  const varied: Record<string, string>[] = [
    ...OPTIMIZERS.map((optimizer) => ({ optimizer })),
    {
      optimizer: 'adamw',
      beta1: '0.8',
      beta2: '0.99',
      eps: '1e-6',
      'weight-decay': '0.02',
      schedule: 'cosine',
      'min-lr': '0.0001',
    },
    {
      optimizer: 'momentum',
      momentum: '0.8',
      dampening: '0.1',
      dropout: '0.2',
      schedule: 'step',
      'step-size': '1',
      gamma: '0.5',
    },
    { optimizer: 'rmsprop', alpha: '0.9', momentum: '0.5', eps: '1e-7', centered: 'true' },
  ];
  for (const text of varied) {
    it(`with ${Object.entries(text)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}: the settings' optimiser, schedule and numbers`, () => {
      const settings = parse(text);
      const options = trainOptionsOf(fitOptionsOf(settings), 2000, 1, makeSpec([784, 32, 10]));
      expect(options.optimizer).toEqual(settings.optimizer);
      expect(options.schedule).toEqual(settings.schedule);
      expect([options.epochs, options.batch, options.learningRate, options.seed, options.dropout]).toEqual([
        settings.epochs,
        settings.batch,
        settings.learningRate,
        settings.seed,
        settings.dropout,
      ]);
    });
  }
});
