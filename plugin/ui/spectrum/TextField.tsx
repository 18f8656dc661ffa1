import { useRef } from 'react';
import { useWidgetEvent, useWidgetValue } from './use-widget-event';

export interface TextFieldProps {
  value: string;
  label: string;
  placeholder?: string;
  /** sp-textarea instead of sp-textfield. */
  multiline?: boolean;
  disabled?: boolean;
  onInput: (value: string) => void;
}

export function TextField({ value, label, placeholder, multiline, disabled, onInput }: TextFieldProps) {
  const ref = useRef<HTMLElement & { value?: unknown }>(null);
  useWidgetValue(ref, value);
  useWidgetEvent(ref, 'input', (element) => onInput(String(element.value ?? '')));
  const props = { ref, placeholder, disabled: disabled || undefined, 'aria-label': label };
  // UXP has no <label for>: the label wraps the field.
  return (
    <div className="field">
      <sp-label>{label}</sp-label>
      {multiline ? <sp-textarea {...props}></sp-textarea> : <sp-textfield {...props}></sp-textfield>}
    </div>
  );
}
