import type { NumericLimit } from '../../../core/params';
import { TextField } from './TextField';

export interface NumberFieldProps {
  value: number;
  label: string;
  /** The service's limit; the field takes as many characters as its longest valid value. */
  limit: NumericLimit;
  disabled?: boolean;
  /** NaN when the text is not a number, so the settings check can say what is wrong. */
  onChange: (value: number) => void;
}

/** Room for the longest valid value: the bounds' digits, plus a sign and a fraction for non-integers. */
export function numberMaxLength(limit: NumericLimit): number {
  const digits = Math.max(String(Math.trunc(limit.min)).length, String(Math.trunc(limit.max)).length);
  return limit.integer ? digits : digits + 6;
}

/** A numeric sp-textfield kept as text (UXP's numeric fields have no min/max/step and a ±214,748 range). */
export function NumberField({ value, label, limit, disabled, onChange }: NumberFieldProps) {
  return (
    <TextField
      value={Number.isFinite(value) ? String(value) : ''}
      label={label}
      maxLength={numberMaxLength(limit)}
      disabled={disabled}
      onInput={(text) => onChange(text.trim() === '' ? Number.NaN : Number(text))}
    />
  );
}
