import { useRef } from 'react';
import type { ReactNode } from 'react';
import { useWidgetEvent } from './use-widget-event';

export interface CheckboxProps {
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
}

export function Checkbox({ checked, disabled, onChange, children }: CheckboxProps) {
  const ref = useRef<HTMLElement & { checked?: boolean }>(null);
  useWidgetEvent(ref, 'change', (element) => onChange(Boolean(element.checked)));
  return (
    <sp-checkbox ref={ref} checked={checked || undefined} disabled={disabled || undefined}>
      {children}
    </sp-checkbox>
  );
}
