/**
 * The page's settings without a browser: the form's checks, its address (a shared link gives back the same
 * settings), the CLI command it shows (the CLI's own parser reads it back as the same run), and the runs' curves.
 */
import { describe, expect, it } from 'vitest';
import { VALUE_SETTINGS } from '../demo/src/options.js';
import { accuracyCurves, aligned, lossCurves, RunList } from '../demo/src/runs.js';
import {
  cliCommand,
  type DataContext,
  defaultSettings,
  parseSettings,
  type Settings,
  settingsFromUrl,
  settingsQuery,
  settingsText,
} from '../demo/src/settings.js';
import { parseFlags } from '../src/cli/args.js';
import { configFromFlags, TRAIN_FLAGS } from '../src/cli/train-config.js';
import { makeOptimizer, OPTIMIZERS } from '../src/model/optimizer.js';
import type { EpochRecord } from '../src/train/trainer.js';

const MNIST: DataContext = { kind: 'mnist', trainCount: 2000, fullTrain: 60000, testCount: 500, fullTest: 10000 };
const TABLE: DataContext = {
  kind: 'table',
  file: 'flowers.csv',
  trainRows: 120,
  target: 'species',
  lastColumn: 'species',
  task: 'classification',
};

const basic = { hidden: '32', batch: '32', learningRate: '0.1', epochs: '2', seed: '1', backend: 'webgpu' };
const parse = (text: Record<string, string>, data: DataContext = MNIST): Settings => {
  const parsed = parseSettings({ ...basic, ...text }, 2000, data.kind);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const error = (text: Record<string, string>) => {
  const parsed = parseSettings({ ...basic, ...text }, 2000);
  return parsed.ok ? 'ok' : parsed.error;
};

/** Settings the tests share as links and commands: every group of settings changed somewhere. */
const VARIED: Record<string, string>[] = [
  { optimizer: 'adam', learningRate: '0.001', activation: 'tanh', schedule: 'cosine', 'min-lr': '0.0001' },
  {
    optimizer: 'momentum',
    learningRate: '0.01',
    momentum: '0.8',
    'weight-decay': '0.0005',
    dropout: '0.2',
    activation: 'gelu',
    'label-smoothing': '0.1',
  },
  {
    optimizer: 'nesterov',
    learningRate: '0.02',
    schedule: 'step',
    'step-size': '1',
    gamma: '0.5',
    loss: 'mse',
    hidden: '64, 32',
  },
  {
    optimizer: 'adamw',
    learningRate: '0.003',
    beta1: '0.8',
    beta2: '0.99',
    eps: '1e-6',
    activation: 'leaky-relu',
    seed: '7',
    backend: 'cpu',
  },
  {
    optimizer: 'rmsprop',
    learningRate: '0.002',
    alpha: '0.9',
    momentum: '0.5',
    eps: '1e-7',
    centered: 'true',
    activation: 'sigmoid',
  },
];

describe('the page’s training settings', () => {
  it('offers every optimiser with its own defaults, and a setting only where the optimiser has it', () => {
    for (const name of OPTIMIZERS) {
      const settings = parse({ optimizer: name });
      expect(settings.optimizer).toEqual(makeOptimizer(name));
      const config = makeOptimizer(name) as unknown as Record<string, unknown>;
      for (const setting of VALUE_SETTINGS.filter(
        (s) => s.group === 'optimizer' && s.applies({ optimizer: name, schedule: 'constant' }),
      )) {
        expect(config[setting.key], `${name} ${setting.id}`).toBeDefined();
      }
    }
    expect(
      VALUE_SETTINGS.filter((s) => s.applies({ optimizer: 'sgd', schedule: 'constant' })).map((s) => s.id),
    ).toEqual(['label-smoothing', 'weight-decay', 'dropout']);
    expect(
      VALUE_SETTINGS.filter((s) => s.applies({ optimizer: 'sgd', schedule: 'constant', loss: 'mse' })).map((s) => s.id),
    ).toEqual(['weight-decay', 'dropout']);
    expect(VALUE_SETTINGS.filter((s) => s.applies({ optimizer: 'adam', schedule: 'step' })).map((s) => s.id)).toEqual([
      'label-smoothing',
      'weight-decay',
      'beta1',
      'beta2',
      'eps',
      'step-size',
      'gamma',
      'dropout',
    ]);
  });

  it('words the library’s checks with the page’s labels, one sentence each', () => {
    expect(error({ optimizer: 'momentum', momentum: '1.5' })).toBe(
      'Momentum 1.5 is out of range: use a number in [0, 1).',
    );
    expect(error({ optimizer: 'nesterov', momentum: '0' })).toMatch(
      /^Optimiser nesterov needs Momentum above 0 and Dampening 0/,
    );
    expect(error({ schedule: 'step' })).toBe('Step size: needed with the step schedule.');
    expect(error({ schedule: 'cosine', 'min-lr': '0.5' })).toBe(
      'Minimum rate must be at least 0 and below Learning rate 0.1, got 0.5.',
    );
    expect(error({ dropout: '1' })).toBe('Dropout: 1 is not a share from 0 up to (not including) 1.');
    expect(error({ 'weight-decay': 'lots' })).toBe('Weight decay: "lots" is not a number.');
    expect(error({ optimizer: 'lion' })).toBe(`Optimiser: "lion" is not one of ${OPTIMIZERS.join(', ')}.`);
  });

  it('takes a table’s defaults from the CLI’s: Adam, batch min(200, rows), 200 epochs', () => {
    const d = defaultSettings(TABLE);
    expect([d.optimizer.name, d.learningRate, d.batch, d.epochs, d.hidden]).toEqual(['adam', 0.001, 120, 200, [100]]);
    expect(cliCommand(d, TABLE)).toBe('npm run train -- --data flowers.csv --backend webgpu');
    expect(parseSettings({ ...basic, epochs: '2000' }, 120, 'mnist').ok).toBe(false);
    expect(parseSettings({ ...basic, epochs: '2000' }, 120, 'table').ok).toBe(true);
  });

  it('a link gives back the same settings, and names only what differs from the defaults', () => {
    expect(settingsQuery(defaultSettings(MNIST), MNIST)).toBe('?train=2000&test=500');
    expect(settingsQuery(parse(VARIED[0]), MNIST)).toBe(
      '?hidden=32&batch-size=32&epochs=2&optimizer=adam&activation=tanh&schedule=cosine&min-lr=0.0001&train=2000&test=500',
    );
    for (const text of VARIED) {
      const settings = parse(text);
      const back = settingsFromUrl(new URLSearchParams(settingsQuery(settings, MNIST)));
      // Fields the link leaves out are the defaults of the chosen optimiser, as the page fills them in.
      const filled = { ...settingsText(defaultSettings(MNIST, settings.optimizer.name)), ...back };
      expect(parse(filled as Record<string, string>), JSON.stringify(text)).toEqual(settings);
    }
  });

  it('shows the CLI command of the same run: the CLI reads it back to the same model and training', () => {
    expect(cliCommand(parse(VARIED[0]), MNIST)).toBe(
      'npm run train -- --hidden 32 --batch-size 32 --epochs 2 --optimizer adam --activation tanh --schedule cosine --min-lr 0.0001 --train-limit 2000 --backend webgpu',
    );
    for (const text of VARIED) {
      const settings = parse(text);
      const argv = cliCommand(settings, MNIST).split(' ').slice(4);
      const config = configFromFlags(parseFlags(argv, TRAIN_FLAGS, 'train'), {
        inputs: 784,
        outputs: 10,
        task: 'classification',
        trainRows: 2000,
      });
      expect(config.spec.layers).toEqual([784, ...settings.hidden, 10]);
      expect([config.spec.activation, config.spec.loss]).toEqual([settings.activation, settings.loss]);
      const { epochs, batch, learningRate, seed, optimizer, schedule, dropout } = config.options;
      expect({ epochs, batch, learningRate, seed, optimizer, dropout }).toEqual({
        epochs: settings.epochs,
        batch: settings.batch,
        learningRate: settings.learningRate,
        seed: settings.seed,
        optimizer: settings.optimizer,
        dropout: settings.dropout,
      });
      expect(schedule).toEqual(settings.schedule);
      expect(argv.slice(-1)[0]).toBe(settings.backend);
    }
  });
});

describe('the runs the page compares', () => {
  const record = (epoch: number, testAccuracy: number, extra: object = {}): EpochRecord =>
    ({
      epoch,
      steps: 10,
      trainLoss: 1 / epoch,
      testLoss: 1.1 / epoch,
      testAccuracy,
      seconds: 1,
      ...extra,
    }) as EpochRecord;

  it('draws one curve per run and kind, training accuracy only where the records have it', () => {
    const list = new RunList();
    const a = list.add(parse({}), MNIST, [784, 32, 10], '?');
    const b = list.add(parse({ optimizer: 'adam' }), MNIST, [784, 32, 10], '?');
    a.losses.push({ epochs: 0.5, loss: 2 }, { epochs: 1, loss: 1 });
    a.history.push(record(1, 0.8));
    b.losses.push({ epochs: 0.25, loss: 2.2 });
    b.history.push(record(1, 0.85, { trainAccuracy: 0.9 }), record(2, 0.87, { trainAccuracy: 0.95 }));
    expect(a.colour).not.toBe(b.colour);
    expect(a.label).toBe('sgd lr 0.1 · relu · 784-32-10 · batch 32 · seed 1 · WebGPU');
    expect(accuracyCurves(list.visible).map((c) => `${c.run.id} ${c.kind} ${c.points.length}`)).toEqual([
      '1 test accuracy 1',
      '2 test accuracy 2',
      '2 training accuracy 2',
    ]);
    const [xs, ...columns] = aligned(lossCurves(list.visible));
    expect(xs).toEqual([0.25, 0.5, 1, 2]);
    expect(columns).toEqual([
      [null, 2, 1, null],
      [null, null, 1.1, null],
      [2.2, null, null, null],
      [null, null, 1.1, 0.55],
    ]);
    b.hidden = true;
    expect(lossCurves(list.visible).map((c) => c.run.id)).toEqual([1, 1]);
    a.status = 'done';
    b.status = 'stopped';
    list.add(parse({}), MNIST, [784, 32, 10], '?');
    list.clear();
    expect(list.runs.map((r) => r.id)).toEqual([3]);
  });
});
