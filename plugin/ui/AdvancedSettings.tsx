import { ENGINE_CHOICES, ENGINE_LABELS, SCHEDULER_LABELS, SCHEDULERS } from '../../core/params';
import type { EngineChoice } from '../../core/params';
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

export function AdvancedSettings({ settings, disabled, onChange }: AdvancedSettingsProps) {
  return (
    <div className="advanced">
      <TextField label="Negative prompt" value={settings.negativePrompt} disabled={disabled} onInput={(negativePrompt) => onChange({ negativePrompt })} />
      <div className="row">
        <NumberField label="Variations" value={settings.variations} disabled={disabled} onChange={(variations) => onChange({ variations })} />
        <NumberField label="Steps" value={settings.steps} disabled={disabled} onChange={(steps) => onChange({ steps })} />
      </div>
      <div className="row">
        <NumberField label="Guidance" value={settings.guidance} disabled={disabled} onChange={(guidance) => onChange({ guidance })} />
        <NumberField label="Strength" value={settings.strength} disabled={disabled} onChange={(strength) => onChange({ strength })} />
      </div>
      <div className="row">
        <Checkbox checked={settings.seedMode === 'random'} disabled={disabled} onChange={(random) => onChange({ seedMode: random ? 'random' : 'fixed' })}>
          Random seed
        </Checkbox>
        {settings.seedMode === 'fixed' ? (
          <NumberField label="Seed" value={settings.seed} disabled={disabled} onChange={(seed) => onChange({ seed })} />
        ) : null}
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
    </div>
  );
}
