/**
 * Spectrum UXP widgets as a host that reads ATTRIBUTES only: boolean states (`disabled`, `quiet`, `checked`,
 * `selected`) come from attributes, and writing the property does nothing. React 19 sets properties on custom
 * elements that have them, so a wrapper that relies on React's props alone leaves these widgets enabled/unchecked.
 * Text widgets keep their value as a property (as UXP's do) and stop taking typed input at `maxlength` — or, with
 * none set, near 256 characters, as UXP's text fields silently do.
 */
export const UXP_DEFAULT_TEXT_LIMIT = 255;

export function defineAttributeOnlyWidgets(): void {
  if (customElements.get('sp-button')) return;

  const booleanAttribute = (name: string): PropertyDescriptor => ({
    get(this: HTMLElement) {
      return this.hasAttribute(name);
    },
    set() {
      // An attribute-only host ignores the property.
    },
    configurable: true,
  });

  class Widget extends HTMLElement {}
  for (const name of ['disabled', 'quiet', 'checked', 'selected']) Object.defineProperty(Widget.prototype, name, booleanAttribute(name));

  class TextWidget extends Widget {
    #value = '';
    get value(): string {
      return this.#value;
    }
    set value(value: string) {
      this.#value = String(value);
    }
    /** Typing, as a user does: what the field takes, then an `input` event. Nothing happens while disabled. */
    type(text: string): void {
      if (this.hasAttribute('disabled')) return;
      const limit = this.hasAttribute('maxlength') ? Number(this.getAttribute('maxlength')) : UXP_DEFAULT_TEXT_LIMIT;
      this.#value = (this.#value + text).slice(0, limit);
      this.dispatchEvent(new Event('input'));
    }
  }

  class CheckboxWidget extends Widget {
    /** A click toggles the widget's own state, then it says `change`. */
    toggle(): void {
      if (this.hasAttribute('disabled')) return;
      this.toggleAttribute('checked');
      this.dispatchEvent(new Event('change'));
    }
  }

  for (const tag of ['sp-button', 'sp-picker', 'sp-menu-item', 'sp-progressbar']) customElements.define(tag, class extends Widget {});
  customElements.define('sp-textfield', class extends TextWidget {});
  customElements.define('sp-textarea', class extends TextWidget {});
  customElements.define('sp-checkbox', CheckboxWidget);
}

export type TextWidgetElement = HTMLElement & { value: string; type(text: string): void };
export type CheckboxWidgetElement = HTMLElement & { toggle(): void };
