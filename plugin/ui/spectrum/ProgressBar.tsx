import { useRef } from 'react';
import { useWidgetAttributes } from './use-widget-event';

export interface ProgressBarProps {
  /** 0..1 */
  fraction: number;
  label: string;
  valueLabel: string;
}

export function ProgressBar({ fraction, label, valueLabel }: ProgressBarProps) {
  const ref = useRef<HTMLElement>(null);
  useWidgetAttributes(ref, { max: 100, value: Math.round(fraction * 100), 'value-label': valueLabel });
  return (
    <sp-progressbar ref={ref} role="progressbar" aria-label={label}>
      <sp-label slot="label">{label}</sp-label>
    </sp-progressbar>
  );
}
