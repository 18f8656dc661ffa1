import { useEffect, useRef } from 'react';
import type { RefObject } from 'react';

/** Listens to a UXP widget's DOM event through its ref; the latest handler is always called. */
export function useWidgetEvent<E extends HTMLElement>(ref: RefObject<E | null>, type: string, handler: (element: E, event: Event) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const listener = (event: Event) => latest.current(element, event);
    element.addEventListener(type, listener);
    return () => element.removeEventListener(type, listener);
  }, [ref, type]);
}

/** Keeps a widget's `value` property in step with React state without resetting the caret on every keystroke. */
export function useWidgetValue(ref: RefObject<(HTMLElement & { value?: unknown }) | null>, value: string): void {
  useEffect(() => {
    const element = ref.current;
    if (element && element.value !== value) element.value = value;
  }, [ref, value]);
}
