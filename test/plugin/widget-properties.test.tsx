// @vitest-environment happy-dom
/**
 * The other kind of host: widgets whose state lives in PROPERTIES that do not reflect to attributes (panel.test.tsx
 * covers widgets that read attributes only). The wrappers must set both.
 */
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Button } from '../../plugin/ui/spectrum/Button';
import { Checkbox } from '../../plugin/ui/spectrum/Checkbox';
import { Picker } from '../../plugin/ui/spectrum/Picker';

class PropertyWidget extends HTMLElement {
  disabled = false;
  quiet = false;
  checked = false;
  selected = false;
}
for (const tag of ['sp-button', 'sp-checkbox', 'sp-picker', 'sp-menu-item']) customElements.define(tag, class extends PropertyWidget {});

afterEach(cleanup);

type Widget = HTMLElement & PropertyWidget;

describe('widget state for property-reading hosts', () => {
  it('sets disabled, quiet, checked and selected as properties, and clears them again', () => {
    const { container, rerender } = render(
      <>
        <Button quiet disabled onClick={() => undefined}>Go</Button>
        <Checkbox checked onChange={() => undefined}>Tick</Checkbox>
        <Picker label="Pick" value="b" options={[{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }]} disabled onChange={() => undefined} />
      </>,
    );
    const button = container.querySelector('sp-button') as Widget;
    const checkbox = container.querySelector('sp-checkbox') as Widget;
    const picker = container.querySelector('sp-picker') as Widget;
    const items = [...container.querySelectorAll('sp-menu-item')] as Widget[];
    expect([button.disabled, button.quiet, checkbox.checked, picker.disabled]).toEqual([true, true, true, true]);
    expect(items.map((item) => item.selected)).toEqual([false, true]);
    rerender(
      <>
        <Button onClick={() => undefined}>Go</Button>
        <Checkbox checked={false} onChange={() => undefined}>Tick</Checkbox>
        <Picker label="Pick" value="a" options={[{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }]} onChange={() => undefined} />
      </>,
    );
    expect([button.disabled, button.quiet, checkbox.checked, picker.disabled]).toEqual([false, false, false, false]);
    expect(items.map((item) => item.selected)).toEqual([true, false]);
    // …and the attributes agree.
    expect([button.hasAttribute('disabled'), checkbox.hasAttribute('checked'), items[0].hasAttribute('selected')]).toEqual([false, false, true]);
  });

  it('leaves unset text attributes alone: no title or placeholder of "false"', () => {
    const { container, rerender } = render(<Button title="Insert" onClick={() => undefined}>Go</Button>);
    const button = container.querySelector('sp-button') as Widget;
    expect(button.getAttribute('title')).toBe('Insert');
    rerender(<Button onClick={() => undefined}>Go</Button>);
    expect(button.hasAttribute('title')).toBe(false);
    expect(button.title).toBe('');
  });
});
