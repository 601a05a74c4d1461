/**
 * The settings form: the basic fields of index.html, and one field per setting of options.ts, made here with its
 * label, its one-line hint and the CLI's default. A setting that does not apply to the chosen optimiser or schedule
 * is hidden (and not read). Choosing another optimiser puts its own defaults in (the rate too), as the CLI's would be.
 */
import type { OptimizerName } from '../../src/model/optimizer.js';
import type { ScheduleName } from '../../src/model/schedule.js';
import type { Loss } from '../../src/model/spec.js';
import { CHOICE_SETTINGS, type Chosen, VALUE_SETTINGS } from './options.js';
import { type DataContext, defaultSettings, type SettingsText, settingsText } from './settings.js';
import { el } from './views.js';

type Control = HTMLInputElement | HTMLSelectElement;

const BASIC: [keyof SettingsText & string, string][] = [
  ['hidden', 'hidden'],
  ['batch', 'batch'],
  ['learningRate', 'lr'],
  ['epochs', 'epochs'],
  ['seed', 'seed'],
  ['backend', 'backend'],
];

export class SettingsForm {
  private readonly controls = new Map<string, Control>();
  private readonly labels = new Map<string, HTMLElement>();

  constructor(
    readonly form: HTMLFormElement,
    more: HTMLElement,
    private readonly onChange: () => void,
  ) {
    for (const [field, id] of BASIC) this.controls.set(field, form.querySelector<Control>(`#${id}`)!);
    for (const setting of CHOICE_SETTINGS) {
      const select = el('select');
      select.id = select.name = setting.id;
      for (const name of setting.choices) select.append(Object.assign(el('option', '', name), { value: name }));
      more.append(this.labelled(setting.id, setting.label, `${setting.hint} · default ${setting.fallback}`, select));
    }
    for (const setting of VALUE_SETTINGS) {
      let control: Control;
      if (setting.boolean) {
        control = el('select');
        for (const value of ['false', 'true'])
          control.append(Object.assign(el('option', '', value === 'true' ? 'yes' : 'no'), { value }));
      } else {
        control = el('input');
        control.spellcheck = false;
        control.inputMode = setting.integer ? 'numeric' : 'decimal';
      }
      control.id = control.name = setting.id;
      more.append(this.labelled(setting.id, setting.label, setting.hint, control));
    }
    this.controls.get('optimizer')!.addEventListener('change', () => this.useOptimizerDefaults());
    for (const control of this.controls.values())
      control.addEventListener(control instanceof HTMLSelectElement ? 'change' : 'input', () => this.changed());
  }

  private labelled(id: string, label: string, hint: string, control: Control): HTMLElement {
    const box = el('label', 'setting');
    box.dataset.setting = id;
    const hintLine = el('span', 'hint', hint);
    box.append(el('span', 'setting-name', label), hintLine, control);
    this.controls.set(id, control);
    this.labels.set(id, box);
    return box;
  }

  private data: DataContext | null = null;

  /** The data the run trains on: it sets the defaults (a table's are the CLI's for a table). */
  setData(data: DataContext): void {
    this.data = data;
    this.controls.get('loss')!.disabled = data.kind === 'table' && data.task === 'regression';
  }

  get chosen(): Chosen {
    return {
      optimizer: this.controls.get('optimizer')!.value as OptimizerName,
      schedule: this.controls.get('schedule')!.value as ScheduleName,
      loss: this.controls.get('loss')!.value as Loss,
    };
  }

  /** The text of every field that applies. */
  read(): SettingsText {
    const text: Record<string, string> = {};
    const chosen = this.chosen;
    for (const [field, control] of this.controls) {
      const setting = VALUE_SETTINGS.find((s) => s.id === field);
      if (!setting || setting.applies(chosen)) text[field] = control.value;
    }
    return text as SettingsText;
  }

  /** Fills the fields: defaults for the data (and the given optimiser), then the given text over them. */
  fill(text: Partial<SettingsText>): void {
    const optimizer = (text.optimizer ?? undefined) as OptimizerName | undefined;
    const base = settingsText(
      defaultSettings(this.data!, CHOICE_SETTINGS[0].choices.includes(optimizer ?? '') ? optimizer : undefined),
    );
    for (const [field, control] of this.controls) {
      // The backend stays as chosen (new data brings other defaults, not another device).
      const value = text[field] ?? (field === 'backend' && control.value ? control.value : base[field]);
      if (value !== undefined) control.value = value;
      else if (control instanceof HTMLInputElement && field !== 'backend') control.value = '';
    }
    this.applyChoices();
  }

  /** A new optimiser brings its defaults: its rate and its own settings. */
  private useOptimizerDefaults(): void {
    const defaults = settingsText(defaultSettings(this.data!, this.chosen.optimizer));
    this.controls.get('learningRate')!.value = defaults.learningRate;
    for (const setting of VALUE_SETTINGS) {
      if (setting.group === 'optimizer') this.controls.get(setting.id)!.value = defaults[setting.id] ?? '';
    }
  }

  private applyChoices(): void {
    const chosen = this.chosen;
    for (const setting of VALUE_SETTINGS) {
      const applies = setting.applies(chosen);
      this.labels.get(setting.id)!.hidden = !applies;
      const fallback = setting.fallback(chosen);
      const hint = this.labels.get(setting.id)!.querySelector('.hint')!;
      hint.textContent = `${setting.hint}${fallback === undefined ? '' : ` · default ${fallback}`}`;
      const control = this.controls.get(setting.id)!;
      if (applies && control.value === '' && fallback !== undefined) control.value = String(fallback);
    }
  }

  private changed(): void {
    this.applyChoices();
    this.onChange();
  }

  set disabled(busy: boolean) {
    for (const [field, control] of this.controls) {
      control.disabled = busy || (field === 'loss' && this.data?.kind === 'table' && this.data.task === 'regression');
    }
  }

  /** The backend select, which the page also sets itself (no adapter, the CPU button). */
  get backend(): HTMLSelectElement {
    return this.controls.get('backend') as HTMLSelectElement;
  }

  get hidden(): HTMLInputElement {
    return this.controls.get('hidden') as HTMLInputElement;
  }
}
