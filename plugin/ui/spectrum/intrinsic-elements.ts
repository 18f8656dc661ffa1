/**
 * JSX types for the Spectrum UXP widgets, declared once. Only the wrappers in this folder render these tags;
 * events are attached there through refs (React does not wire listeners on UXP widgets).
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';

type WidgetProps = DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> & {
  disabled?: boolean;
  quiet?: boolean;
  variant?: string;
  size?: string;
  value?: string | number;
  max?: number;
  placeholder?: string;
  checked?: boolean;
  selected?: boolean;
  slot?: string;
  type?: string;
  'value-label'?: string;
};

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'sp-button': WidgetProps;
      'sp-action-button': WidgetProps;
      'sp-textfield': WidgetProps;
      'sp-textarea': WidgetProps;
      'sp-checkbox': WidgetProps;
      'sp-picker': WidgetProps;
      'sp-menu': WidgetProps;
      'sp-menu-item': WidgetProps;
      'sp-progressbar': WidgetProps;
      'sp-label': WidgetProps;
      'sp-body': WidgetProps;
      'sp-detail': WidgetProps;
      'sp-divider': WidgetProps;
    }
  }
}
