import { TextField } from './TextField';

export interface NumberFieldProps {
  value: number;
  label: string;
  disabled?: boolean;
  /** NaN when the text is not a number, so the settings check can say what is wrong. */
  onChange: (value: number) => void;
}

/** A numeric sp-textfield kept as text (UXP's numeric fields have no min/max/step and a ±214,748 range). */
export function NumberField({ value, label, disabled, onChange }: NumberFieldProps) {
  return (
    <TextField
      value={Number.isFinite(value) ? String(value) : ''}
      label={label}
      disabled={disabled}
      onInput={(text) => onChange(text.trim() === '' ? Number.NaN : Number(text))}
    />
  );
}
