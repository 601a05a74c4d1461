/**
 * The settings table: its defaults pinned to the documented ones (docs/cli.md's flag table and train --help say
 * these), and the front ends derived from it: the CLI's flags and help, the API's options, the page's fields.
 */
import { describe, expect, it } from 'vitest';
import { pageLabel, VALUE_SETTINGS } from '../demo/src/options.js';
import { FIT_OPTIONS } from '../src/api/options.js';
import { apiName } from '../src/api/wording.js';
import { parseFlags } from '../src/cli/args.js';
import { cliName } from '../src/cli/failure.js';
import { TRAIN_FLAGS } from '../src/cli/train-config.js';
import type { UserError } from '../src/errors.js';
import { OPTIMIZERS } from '../src/model/optimizer.js';
import { checkSetting, parseSetting, resolveSettings } from '../src/train/resolve.js';
import { SETTING_NAMES } from '../src/train/setting-names.js';
import { defaultText, flagOf, SETTINGS } from '../src/train/settings.js';

const IMAGES = { table: false, trainRows: 60000, regression: false };
const TABLE = { table: true, trainRows: 120, regression: false };

describe('the settings table', () => {
  it('gives the documented defaults: images, a table, and each optimiser', () => {
    expect(resolveSettings({}, IMAGES)).toEqual({
      activation: 'relu',
      loss: 'softmax-cross-entropy',
      labelSmoothing: 0,
      epochs: 1,
      batchSize: 64,
      optimizer: 'sgd',
      learningRate: 0.1,
      weightDecay: 0,
      schedule: 'constant',
      dropout: 0,
      shuffle: true,
      trainMetrics: true,
      seed: 1,
      chunkSteps: 100,
    });
    expect(resolveSettings({}, TABLE)).toMatchObject({
      epochs: 200,
      batchSize: 120,
      optimizer: 'adam',
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
    });
    expect(resolveSettings({}, { ...TABLE, trainRows: 5000 }).batchSize).toBe(200);
    const regression = resolveSettings({}, { ...TABLE, regression: true });
    expect([regression.loss, 'labelSmoothing' in regression]).toEqual(['mse', false]);
    const rates = Object.fromEntries(
      OPTIMIZERS.map((optimizer) => [optimizer, resolveSettings({ optimizer }, IMAGES).learningRate]),
    );
    expect(rates).toEqual({ sgd: 0.1, momentum: 0.01, nesterov: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001 });
    expect(resolveSettings({ optimizer: 'momentum' }, IMAGES)).toMatchObject({ momentum: 0.9, dampening: 0 });
    expect(resolveSettings({ optimizer: 'adamw' }, IMAGES).weightDecay).toBe(0.01);
    expect(resolveSettings({ optimizer: 'rmsprop' }, IMAGES)).toMatchObject({
      momentum: 0,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
    });
    expect(resolveSettings({ schedule: 'step', stepSize: 2 }, IMAGES)).toMatchObject({ gamma: 0.1 });
    expect(resolveSettings({ schedule: 'cosine' }, IMAGES)).toMatchObject({ minLr: 0 });
  });

  it('says the defaults in help as docs/cli.md does', () => {
    const help = Object.fromEntries(TRAIN_FLAGS.map((f) => [f.name, f.default]));
    expect(help['learning-rate']).toBe('0.1 for sgd; 0.01 for momentum, nesterov; 0.001 for adam, adamw, rmsprop');
    expect(help['batch-size']).toBe('64; for a table, min(200, training rows)');
    expect(help.epochs).toBe('1; 200 for a table');
    expect(help.optimizer).toBe('sgd; adam for a table');
    expect(help.momentum).toBe('0.9 for momentum, nesterov; 0 for rmsprop');
    expect(help['weight-decay']).toBe('0 for sgd, momentum, nesterov, adam, rmsprop; 0.01 for adamw');
    expect(help['chunk-steps']).toBe('100');
    expect(help['step-size']).toBeUndefined();
  });

  it('gives every setting one name: the API option, the CLI flag in kebab-case, the page label', () => {
    for (const name of SETTING_NAMES) {
      expect(
        TRAIN_FLAGS.some((f) => f.name === flagOf(name)),
        name,
      ).toBe(true);
      expect(cliName(name)).toBe(`--${flagOf(name)}`);
      expect(apiName(name)).toBe(name);
      expect(pageLabel(name)).toBe(SETTINGS[name].label);
      if (SETTINGS[name].at[0] !== 'spec') expect(FIT_OPTIONS as readonly string[]).toContain(name);
    }
    expect(VALUE_SETTINGS.every((s) => TRAIN_FLAGS.some((f) => f.name === s.id))).toBe(true);
    expect(flagOf('validationSplit')).toBe('validation-split');
  });

  it('refuses a former flag with its name now, and a setting where the optimiser does not use it', () => {
    for (const [old, now] of [
      ['--lr', '--learning-rate'],
      ['--batch', '--batch-size'],
      ['--val', '--validation-split'],
      ['--steps', '--max-steps'],
    ]) {
      expect(() => parseFlags([old, '1'], TRAIN_FLAGS, 'train')).toThrow(
        `unknown option '${old}': did you mean ${now}? See train --help`,
      );
    }
    const error = (() => {
      try {
        resolveSettings({ beta1: 0.8 }, IMAGES);
      } catch (e) {
        return e as UserError;
      }
    })()!;
    expect(error.worded(cliName)).toBe('--beta1 applies to --optimizer adam or adamw only');
    expect(error.worded(apiName)).toBe('beta1 applies to optimizer adam or adamw only');
    expect(error.worded(pageLabel)).toBe('Beta 1 applies to Optimiser adam or adamw only');
  });

  it("reads text and values by the setting's kind and range", () => {
    expect(parseSetting('epochs', ' 3 ')).toBe(3);
    expect(parseSetting('shuffle', 'false')).toBe(false);
    expect(() => parseSetting('epochs', '2.5')).toThrow('epochs "2.5" is not valid: use an integer >= 1');
    expect(() => checkSetting('momentum', 1)).toThrow('momentum 1 is out of range: use a number in [0, 1)');
    expect(() => checkSetting('centered', 'yes')).toThrow('centered "yes" is not valid: use true or false');
    expect(() => checkSetting('schedule', 'linear')).toThrow('schedule "linear" is not one of constant, step, cosine');
    expect(defaultText('seed')).toBe('1');
  });
});
