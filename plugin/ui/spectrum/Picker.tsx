import { useRef } from 'react';
import { useWidgetAttributes, useWidgetEvent } from './use-widget-event';

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

/** One menu item; `selected` is set as attribute and property (see useWidgetAttributes). */
function MenuItem({ value, label, selected }: { value: string; label: string; selected: boolean }) {
  const ref = useRef<HTMLElement>(null);
  useWidgetAttributes(ref, { selected });
  return (
    <sp-menu-item ref={ref} data-value={value}>
      {label}
    </sp-menu-item>
  );
}

/** sp-picker; its `change` event reports the chosen item as `selectedIndex`. */
export function Picker<T extends string>({ label, value, options, disabled, onChange }: PickerProps<T>) {
  const ref = useRef<HTMLElement & { selectedIndex?: number }>(null);
  useWidgetEvent(ref, 'change', (element) => {
    const option = options[element.selectedIndex ?? -1];
    if (option) onChange(option.value);
  });
  useWidgetAttributes(ref, { disabled: Boolean(disabled) });
  return (
    <div className="field">
      <sp-label>{label}</sp-label>
      <sp-picker ref={ref} aria-label={label} size="s">
        <sp-menu slot="options">
          {options.map((option) => (
            <MenuItem key={option.value} value={option.value} label={option.label} selected={option.value === value} />
          ))}
        </sp-menu>
      </sp-picker>
    </div>
  );
}
