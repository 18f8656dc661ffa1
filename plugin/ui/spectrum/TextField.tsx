import { useRef } from 'react';
import { useWidgetAttributes, useWidgetEvent, useWidgetValue } from './use-widget-event';

export interface TextFieldProps {
  value: string;
  label: string;
  /**
   * The most characters the field takes. Required: a UXP text field without an explicit limit silently stops taking
   * input near 256 characters.
   */
  maxLength: number;
  placeholder?: string;
  /** sp-textarea instead of sp-textfield. */
  multiline?: boolean;
  disabled?: boolean;
  onInput: (value: string) => void;
}

export function TextField({ value, label, maxLength, placeholder, multiline, disabled, onInput }: TextFieldProps) {
  const ref = useRef<HTMLElement & { value?: unknown }>(null);
  useWidgetValue(ref, value);
  useWidgetEvent(ref, 'input', (element) => onInput(String(element.value ?? '')));
  useWidgetAttributes(ref, { maxlength: maxLength, placeholder, disabled: Boolean(disabled) });
  const props = { ref, 'aria-label': label };
  // UXP has no <label for>: the label wraps the field.
  return (
    <div className="field">
      <sp-label>{label}</sp-label>
      {multiline ? <sp-textarea {...props}></sp-textarea> : <sp-textfield {...props}></sp-textfield>}
    </div>
  );
}
