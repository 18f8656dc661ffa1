import { useRef } from 'react';
import { useWidgetEvent } from './use-widget-event';

export interface PickerOption<T extends string> {
  value: T;
  label: string;
}

export interface PickerProps<T extends string> {
  label: string;
  value: T;
  options: readonly PickerOption<T>[];
  disabled?: boolean;
  onChange: (value: T) => void;
}

/** sp-picker; its `change` event reports the chosen item as `selectedIndex`. */
export function Picker<T extends string>({ label, value, options, disabled, onChange }: PickerProps<T>) {
  const ref = useRef<HTMLElement & { selectedIndex?: number }>(null);
  useWidgetEvent(ref, 'change', (element) => {
    const option = options[element.selectedIndex ?? -1];
    if (option) onChange(option.value);
  });
  return (
    <div className="field">
      <sp-label>{label}</sp-label>
      <sp-picker ref={ref} aria-label={label} disabled={disabled || undefined} size="s">
        <sp-menu slot="options">
          {options.map((option) => (
            <sp-menu-item key={option.value} data-value={option.value} selected={option.value === value || undefined}>
              {option.label}
            </sp-menu-item>
          ))}
        </sp-menu>
      </sp-picker>
    </div>
  );
}
