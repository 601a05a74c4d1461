/**
 * The names of the training settings: the API's options, in camelCase; the CLI's flags are their kebab-case. Each
 * has its entry in SETTINGS (src/train/settings.ts), which the type checker holds to this list.
 */
export const SETTING_NAMES = [
  'activation',
  'loss',
  'labelSmoothing',
  'epochs',
  'maxSteps',
  'batchSize',
  'optimizer',
  'learningRate',
  'momentum',
  'dampening',
  'weightDecay',
  'beta1',
  'beta2',
  'eps',
  'alpha',
  'centered',
  'schedule',
  'stepSize',
  'gamma',
  'minLr',
  'dropout',
  'validationSplit',
  'earlyStopping',
  'shuffle',
  'trainMetrics',
  'seed',
  'chunkSteps',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];
