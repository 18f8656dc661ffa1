export interface ProgressBarProps {
  /** 0..1 */
  fraction: number;
  label: string;
  valueLabel: string;
}

export function ProgressBar({ fraction, label, valueLabel }: ProgressBarProps) {
  return (
    <sp-progressbar max={100} value={Math.round(fraction * 100)} value-label={valueLabel} role="progressbar" aria-label={label}>
      <sp-label slot="label">{label}</sp-label>
    </sp-progressbar>
  );
}
