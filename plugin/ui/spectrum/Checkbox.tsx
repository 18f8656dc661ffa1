import { useRef } from 'react';
import type { ReactNode } from 'react';
import { useWidgetAttributes, useWidgetEvent } from './use-widget-event';

export interface CheckboxProps {
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
}

export function Checkbox({ checked, disabled, onChange, children }: CheckboxProps) {
  const ref = useRef<HTMLElement & { checked?: boolean }>(null);
  // The new state is read from the widget: its property where the host keeps one, else its attribute.
  useWidgetEvent(ref, 'change', (element) => onChange(typeof element.checked === 'boolean' ? element.checked : element.hasAttribute('checked')));
  useWidgetAttributes(ref, { checked, disabled: Boolean(disabled) });
  return <sp-checkbox ref={ref}>{children}</sp-checkbox>;
}
