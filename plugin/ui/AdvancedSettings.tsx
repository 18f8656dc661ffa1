import { ENGINE_CHOICES, ENGINE_LABELS, INPUT_LIMITS, SCHEDULER_LABELS, SCHEDULERS } from '../../core/params';
import type { EngineChoice } from '../../core/params';
import { NUMERIC_FIELDS } from '../state/settings';
import type { Settings } from '../state/settings';
import { Checkbox } from './spectrum/Checkbox';
import { NumberField } from './spectrum/NumberField';
import { Picker } from './spectrum/Picker';
import { TextField } from './spectrum/TextField';

export interface AdvancedSettingsProps {
  settings: Settings;
  disabled: boolean;
  onChange: (patch: Partial<Settings>) => void;
}

const SCHEDULER_OPTIONS = SCHEDULERS.map((value) => ({ value, label: SCHEDULER_LABELS[value] }));
const SOURCE_OPTIONS: { value: Settings['source']; label: string }[] = [
  { value: 'composite', label: 'Visible layers' },
  { value: 'layer', label: 'Active layer' },
];
const CHOICE_LABELS: Record<EngineChoice, string> = { auto: 'Automatic', ...ENGINE_LABELS };
const ENGINE_OPTIONS = ENGINE_CHOICES.map((value) => ({ value, label: CHOICE_LABELS[value] }));
const CONTEXT_OPTIONS: { value: Settings['contextMode']; label: string }[] = [
  { value: 'auto', label: 'Automatic' },
  { value: 'pixels', label: 'Pixels' },
];

type NumericKey = keyof typeof NUMERIC_FIELDS;

export function AdvancedSettings({ settings, disabled, onChange }: AdvancedSettingsProps) {
  const number = (key: NumericKey) => (
    <NumberField label={NUMERIC_FIELDS[key].label} limit={NUMERIC_FIELDS[key].limit} value={settings[key]} disabled={disabled} onChange={(value) => onChange({ [key]: value })} />
  );
  return (
    <div className="advanced">
      <TextField
        label="Negative prompt"
        value={settings.negativePrompt}
        maxLength={INPUT_LIMITS.promptChars}
        disabled={disabled}
        onInput={(negativePrompt) => onChange({ negativePrompt })}
      />
      <div className="row">
        {number('variations')}
        {number('steps')}
      </div>
      <div className="row">
        {number('guidance')}
        {number('strength')}
      </div>
      <div className="row">
        <Checkbox checked={settings.seedMode === 'random'} disabled={disabled} onChange={(random) => onChange({ seedMode: random ? 'random' : 'fixed' })}>
          Random seed
        </Checkbox>
        {settings.seedMode === 'fixed' ? number('seed') : null}
      </div>
      <Picker label="Sampler" value={settings.scheduler} options={SCHEDULER_OPTIONS} disabled={disabled} onChange={(scheduler) => onChange({ scheduler })} />
      <Picker label="Source" value={settings.source} options={SOURCE_OPTIONS} disabled={disabled} onChange={(source) => onChange({ source })} />
      <Picker label="Engine" value={settings.engine} options={ENGINE_OPTIONS} disabled={disabled} onChange={(engine) => onChange({ engine })} />
      <Checkbox
        checked={settings.emptyPrompt === 'remove'}
        disabled={disabled || settings.engine !== 'auto'}
        onChange={(remove) => onChange({ emptyPrompt: remove ? 'remove' : 'generate' })}
      >
        Empty prompt removes (content-aware fill)
      </Checkbox>
      <Checkbox checked={settings.softInpainting} disabled={disabled} onChange={(softInpainting) => onChange({ softInpainting })}>
        Soft edges (generate the feathered band, SDXL)
      </Checkbox>
      <Checkbox checked={settings.colorMatch} disabled={disabled} onChange={(colorMatch) => onChange({ colorMatch })}>
        Match colours to the surroundings
      </Checkbox>
      <sp-detail>Context and mask</sp-detail>
      <div className="row">
        <Picker label="Context" value={settings.contextMode} options={CONTEXT_OPTIONS} disabled={disabled} onChange={(contextMode) => onChange({ contextMode })} />
        {settings.contextMode === 'pixels' ? number('contextPadding') : null}
      </div>
      <div className="row">
        {number('maskGrow')}
        {number('maskFeather')}
      </div>
    </div>
  );
}
