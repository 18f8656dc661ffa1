import { useEffect, useLayoutEffect, useRef } from 'react';
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

/** A widget attribute's value: booleans are present (true) or absent (false/undefined), others are written as text. */
export type WidgetAttributes = Record<string, string | number | boolean | undefined>;

/**
 * Sets a widget's state both ways, before paint: as attributes (UXP's widgets may read only those) and, for the
 * boolean states, as properties (React 19 sets properties on custom elements, and other hosts read them). React
 * itself is not given these props, so there is one writer.
 */
export function useWidgetAttributes(ref: RefObject<HTMLElement | null>, attributes: WidgetAttributes): void {
  // JSON drops undefined values, so they become null first: an attribute that was set and is now undefined must go.
  const key = JSON.stringify(Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, value ?? null])));
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    for (const [name, value] of Object.entries(JSON.parse(key) as Record<string, string | number | boolean | null>)) {
      if (value === null) {
        // Unset: no attribute, and no property write (a `title` or `placeholder` property would show "false").
        element.removeAttribute(name);
      } else if (typeof value === 'boolean') {
        if (value) element.setAttribute(name, '');
        else element.removeAttribute(name);
        if (name in element) (element as unknown as Record<string, unknown>)[name] = value;
      } else {
        element.setAttribute(name, String(value));
      }
    }
  }, [ref, key]);
}
