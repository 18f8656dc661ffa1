import { useRef } from 'react';
import type { ReactNode } from 'react';
import { useWidgetAttributes, useWidgetEvent } from './use-widget-event';

export interface ButtonProps {
  variant?: 'cta' | 'primary' | 'secondary' | 'warning';
  quiet?: boolean;
  disabled?: boolean;
  title?: string;
  onClick: () => void;
  children: ReactNode;
}

export function Button({ variant = 'primary', quiet, disabled, title, onClick, children }: ButtonProps) {
  const ref = useRef<HTMLElement>(null);
  useWidgetEvent(ref, 'click', () => {
    if (!disabled) onClick();
  });
  useWidgetAttributes(ref, { variant, quiet: Boolean(quiet), disabled: Boolean(disabled), title });
  return <sp-button ref={ref}>{children}</sp-button>;
}
