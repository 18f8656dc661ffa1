// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobProgress } from '../../core/protocol';
import { DEFAULT_SETTINGS } from '../../plugin/state/settings';
import { PanelStore } from '../../plugin/state/store';
import type { PanelActions, PanelState } from '../../plugin/state/store';
import { usePanelState } from '../../plugin/state/use-panel-state';
import { App } from '../../plugin/ui/App';
import { Button } from '../../plugin/ui/spectrum/Button';
import { INPUT_LIMITS } from '../../core/params';
import { FakeServiceClient, healthy, MemorySecrets, MemoryStorage } from './fake-service-client';
import { expectNoImageDataLeaks, featheredEllipse, setup } from './fixtures';
import { defineAttributeOnlyWidgets, UXP_DEFAULT_TEXT_LIMIT } from './mock/spectrum';
import type { CheckboxWidgetElement, TextWidgetElement } from './mock/spectrum';

// The widgets read attributes only, as UXP's may.
defineAttributeOnlyWidgets();

afterEach(() => {
  cleanup();
  expectNoImageDataLeaks();
});

function actions(): PanelActions & Record<string, ReturnType<typeof vi.fn>> {
  return {
    connect: vi.fn(async () => undefined),
    setService: vi.fn(),
    updateSettings: vi.fn(),
    reuseSeed: vi.fn(),
    dismissMessage: vi.fn(),
    generate: vi.fn(async () => undefined),
    cancel: vi.fn(async () => undefined),
    insert: vi.fn(async () => true),
    insertAll: vi.fn(async () => undefined),
  };
}

const base: PanelState = {
  connection: { status: 'connected', url: 'http://127.0.0.1:7870', health: healthy() },
  settings: DEFAULT_SETTINGS,
  job: { phase: 'idle' },
  message: null,
  document: { id: 1, title: 'Beach.psd', width: 1200, height: 900, hasSelection: true },
};

const progress: JobProgress = { phase: 'denoising', variation: null, variations: 3, step: 5, steps: 20, fraction: 0.25, etaSeconds: 12.4 };

/** The UXP widget with this text (sp-button, sp-textarea…): text lives in the element's own children. */
function widget(tag: string, text: RegExp): HTMLElement {
  const match = [...document.querySelectorAll(tag)].find((el) => text.test(el.textContent ?? ''));
  if (!match) throw new Error(`no <${tag}> with text ${text}`);
  return match as HTMLElement;
}

describe('panel (DOM)', () => {
  it('idle: shows the connection, the document and a Generate button', () => {
    const a = actions();
    render(<App state={base} actions={a} />);
    expect(screen.getByTestId('connection-text').textContent).toMatch(/Connected to genfill 0\.1\.0 · classic \(patchmatch, cpu\)/);
    expect(screen.getByTestId('document-line').textContent).toBe('Beach.psd · 1200×900');
    fireEvent.click(widget('sp-button', /^Generate$/));
    expect(a.generate).toHaveBeenCalledTimes(1);
  });

  it('idle: names the SDXL model it runs — name, source format, weights — rather than its cache path', () => {
    const sdxl = {
      name: 'sdxl' as const,
      state: 'ready' as const,
      model: 'juggernaut-inpaint.safetensors',
      provider: 'cuda',
      dtype: 'fp32',
      reason: null,
      identity: { name: 'juggernaut-inpaint.safetensors', format: 'single-file' as const, weights: 'fp16' },
    };
    const state: PanelState = { ...base, connection: { ...base.connection, health: healthy({ engines: [sdxl], defaultEngine: 'sdxl' }) } as PanelState['connection'] };
    render(<App state={state} actions={actions()} />);
    expect(screen.getByTestId('connection-text').textContent).toBe('Connected to genfill 0.1.0 · sdxl (juggernaut-inpaint.safetensors (single file, fp16 weights), cuda, fp32)');
  });

  it('idle: typing a prompt and opening the advanced settings reach the store', () => {
    const a = actions();
    render(<App state={base} actions={a} />);
    const prompt = screen.getByLabelText('Prompt') as TextWidgetElement;
    prompt.type('a lighthouse');
    expect(a.updateSettings).toHaveBeenCalledWith({ prompt: 'a lighthouse' });

    expect(screen.queryByLabelText('Negative prompt')).toBeNull();
    fireEvent.click(widget('sp-button', /Advanced settings/));
    const steps = screen.getByLabelText('Steps') as TextWidgetElement;
    expect(steps.value).toBe('20');
    steps.value = '';
    steps.type('30');
    expect(a.updateSettings).toHaveBeenCalledWith({ steps: 30 });
    const engine = screen.getByLabelText('Engine') as HTMLElement & { selectedIndex: number };
    engine.selectedIndex = 2;
    fireEvent(engine, new Event('change'));
    expect(a.updateSettings).toHaveBeenCalledWith({ engine: 'classic' });
    (widget('sp-checkbox', /Random seed/) as CheckboxWidgetElement).toggle();
    expect(a.updateSettings).toHaveBeenCalledWith({ seedMode: 'fixed' });
    for (const [label, key] of [[/Soft edges/, 'softInpainting'], [/Match colours/, 'colorMatch']] as const) {
      const box = widget('sp-checkbox', label) as CheckboxWidgetElement;
      expect(box.hasAttribute('checked')).toBe(true);
      box.toggle();
      expect(a.updateSettings).toHaveBeenCalledWith({ [key]: false });
    }
  });

  it('every text field has an explicit limit: a 300-character prompt arrives whole', () => {
    const a = actions();
    render(<App state={{ ...base, connection: { status: 'unreachable', url: 'http://127.0.0.1:7870', message: 'down' } }} actions={a} />);
    fireEvent.click(widget('sp-button', /Advanced settings/));
    fireEvent.click(widget('sp-button', /^Change$/));
    const fields = [...document.querySelectorAll('sp-textfield, sp-textarea')];
    expect(fields.length).toBeGreaterThan(8);
    for (const field of fields) expect(field.getAttribute('maxlength'), field.getAttribute('aria-label') ?? '').toMatch(/^\d+$/);
    const limit = (label: string) => Number(screen.getByLabelText(label).getAttribute('maxlength'));
    expect([limit('Prompt'), limit('Negative prompt')]).toEqual([INPUT_LIMITS.promptChars, INPUT_LIMITS.promptChars]);
    expect([limit('Steps'), limit('Variations'), limit('Mask grow (px)'), limit('Guidance')]).toEqual([3, 1, 3, 8]);

    const long = 'a weathered wooden fishing boat pulled up on the pebbles, '.repeat(6).slice(0, 300);
    expect(long.length).toBeGreaterThan(UXP_DEFAULT_TEXT_LIMIT);
    (screen.getByLabelText('Prompt') as TextWidgetElement).type(long);
    expect(a.updateSettings).toHaveBeenLastCalledWith({ prompt: long });
  });

  it('sets widget state as attributes, present or absent, for hosts that read only attributes', () => {
    const a = actions();
    const { rerender } = render(<App state={{ ...base, job: { phase: 'reading' } }} actions={a} />);
    const generate = widget('sp-button', /^Reading selection…$/);
    expect(generate.hasAttribute('disabled')).toBe(true);
    expect(generate.getAttribute('variant')).toBe('cta');
    expect(widget('sp-button', /Advanced settings/).hasAttribute('quiet')).toBe(true);
    expect(widget('sp-button', /Advanced settings/).hasAttribute('disabled')).toBe(false);
    rerender(<App state={base} actions={a} />);
    expect(widget('sp-button', /^Generate$/).hasAttribute('disabled')).toBe(false);

    fireEvent.click(widget('sp-button', /Advanced settings/));
    const random = widget('sp-checkbox', /Random seed/);
    expect(random.hasAttribute('checked')).toBe(true);
    const remove = widget('sp-checkbox', /Empty prompt removes/);
    expect([remove.hasAttribute('checked'), remove.hasAttribute('disabled')]).toEqual([false, false]);
    rerender(<App state={{ ...base, settings: { ...DEFAULT_SETTINGS, seedMode: 'fixed', engine: 'sdxl', emptyPrompt: 'remove' } }} actions={a} />);
    expect(random.hasAttribute('checked')).toBe(false);
    expect([remove.hasAttribute('checked'), remove.hasAttribute('disabled')]).toEqual([true, true]);
    const engine = screen.getByLabelText('Engine');
    expect([...engine.querySelectorAll('sp-menu-item')].map((item) => item.hasAttribute('selected'))).toEqual([false, true, false]);
  });

  it('context controls: automatic context, or padding in pixels; mask grow and feather', () => {
    const a = actions();
    const { rerender } = render(<App state={base} actions={a} />);
    fireEvent.click(widget('sp-button', /Advanced settings/));
    expect(screen.queryByLabelText('Context padding (px)')).toBeNull();
    const context = screen.getByLabelText('Context') as HTMLElement & { selectedIndex: number };
    context.selectedIndex = 1;
    fireEvent(context, new Event('change'));
    expect(a.updateSettings).toHaveBeenCalledWith({ contextMode: 'pixels' });
    rerender(<App state={{ ...base, settings: { ...DEFAULT_SETTINGS, contextMode: 'pixels' } }} actions={a} />);
    const padding = screen.getByLabelText('Context padding (px)') as TextWidgetElement;
    expect(padding.value).toBe('64');
    padding.value = '';
    padding.type('200');
    expect(a.updateSettings).toHaveBeenCalledWith({ contextPadding: 200 });
    for (const [label, key] of [['Mask grow (px)', 'maskGrow'], ['Mask feather (px)', 'maskFeather']] as const) {
      const field = screen.getByLabelText(label) as TextWidgetElement;
      expect(field.value).toBe('0');
      field.value = '';
      field.type('12');
      expect(a.updateSettings).toHaveBeenCalledWith({ [key]: 12 });
    }
  });

  it('running: progress with step and ETA, the preview, and Cancel', () => {
    const a = actions();
    const state: PanelState = { ...base, job: { phase: 'running', jobId: 'j1', state: 'running', position: null, engine: 'sdxl', progress, previewUrl: 'blob:preview', cancelling: false } };
    render(<App state={state} actions={a} />);
    expect(screen.getByRole('progressbar').getAttribute('value')).toBe('25');
    expect(screen.getByTestId('progress-text').textContent).toBe('Step 5/20 · about 12 s left');
    expect(screen.getByAltText('Latest preview').getAttribute('src')).toBe('blob:preview');
    expect(screen.getByTestId('engine').textContent).toBe('SDXL inpainting');
    expect(widget('sp-button', /^Generate$/).hasAttribute('disabled')).toBe(true);
    fireEvent.click(widget('sp-button', /^Cancel$/));
    expect(a.cancel).toHaveBeenCalledTimes(1);
  });

  it('running the classic fill: counts passes, not denoising steps', () => {
    const state: PanelState = { ...base, job: { phase: 'running', jobId: 'j1', state: 'running', position: null, engine: 'classic', progress: { ...progress, unit: 'pass', step: 2, steps: 6 }, previewUrl: null, cancelling: false } };
    render(<App state={state} actions={actions()} />);
    expect(screen.getByTestId('progress-text').textContent).toBe('Pass 2/6 · about 12 s left');
  });

  it('queued and reading: says what it waits for, Generate disabled', () => {
    const a = actions();
    const queued: PanelState = { ...base, job: { phase: 'running', jobId: 'j1', state: 'queued', position: 2, engine: null, progress: null, previewUrl: null, cancelling: false } };
    const { rerender } = render(<App state={queued} actions={a} />);
    expect(screen.getByTestId('progress-text').textContent).toBe('Waiting: 2 jobs ahead');
    expect(screen.queryByAltText('Latest preview')).toBeNull();
    rerender(<App state={{ ...base, job: { phase: 'reading' } }} actions={a} />);
    expect(widget('sp-button', /^Reading selection…$/).hasAttribute('disabled')).toBe(true);
    fireEvent.click(widget('sp-button', /^Reading selection…$/));
    expect(a.generate).not.toHaveBeenCalled();
  });

  it('widget wrappers remove their listeners when unmounted', () => {
    const onClick = vi.fn();
    const { unmount } = render(<Button onClick={onClick}>Go</Button>);
    const button = widget('sp-button', /^Go$/);
    fireEvent.click(button);
    expect(onClick).toHaveBeenCalledTimes(1);
    unmount();
    fireEvent.click(button);
    expect(onClick).toHaveBeenCalledTimes(1);
  });

  it('done: thumbnails insert on click; insert all; reuse seed', () => {
    const a = actions();
    const results = [0, 1, 2].map((index) => ({ index, seed: 40 + index, thumbnailUrl: `blob:t${index}`, inserted: index === 0 }));
    const state: PanelState = { ...base, job: { phase: 'done', jobId: 'j1', prompt: 'boat', engine: 'classic', results, warnings: ['2 prompt tokens were cut'], inserting: null } };
    render(<App state={state} actions={a} />);
    expect(screen.getAllByRole('img').map((img) => img.getAttribute('src'))).toEqual(['blob:t0', 'blob:t1', 'blob:t2']);
    expect(screen.getByTestId('result-0').textContent).toMatch(/Inserted · seed 40/);
    expect(screen.getByTestId('job-warnings').textContent).toBe('2 prompt tokens were cut');
    expect(screen.getByTestId('job-warnings').getAttribute('role')).toBe('status');
    expect(screen.getByTestId('engine').textContent).toBe('Filled by Content-aware fill (classic)');
    fireEvent.click(screen.getByLabelText('Insert variation 2 (seed 41)'));
    expect(a.insert).toHaveBeenCalledWith(1);
    fireEvent.click(widget('sp-button', /Insert all/));
    expect(a.insertAll).toHaveBeenCalledTimes(1);
    fireEvent.click(screen.getByTestId('result-2').querySelector('sp-button')!);
    expect(a.reuseSeed).toHaveBeenCalledWith(2);
  });

  it('error: a message the user can dismiss, and an unreachable service with Retry', () => {
    const a = actions();
    const state: PanelState = {
      ...base,
      document: null,
      connection: { status: 'unreachable', url: 'http://127.0.0.1:7870', message: 'The genfill service is not running at http://127.0.0.1:7870.' },
      message: { kind: 'error', text: 'Make a selection first.' },
    };
    render(<App state={state} actions={a} />);
    expect(screen.getByRole('alert').textContent).toMatch(/Make a selection first/);
    expect(screen.getByTestId('document-line').textContent).toBe('No document open');
    expect(screen.getByTestId('connection-text').textContent).toMatch(/not running/);
    fireEvent.click(widget('sp-button', /^OK$/));
    expect(a.dismissMessage).toHaveBeenCalled();
    fireEvent.click(widget('sp-button', /^Retry$/));
    expect(a.connect).toHaveBeenCalled();
    fireEvent.click(widget('sp-button', /^Change$/));
    const address = screen.getByLabelText('Service address') as TextWidgetElement;
    address.value = '';
    act(() => address.type('http://10.0.0.2:7870'));
    fireEvent.click(widget('sp-button', /^Connect$/));
    expect(a.setService).toHaveBeenCalledWith('http://10.0.0.2:7870', '');
  });

  it('wired to the store: Generate → thumbnails → click inserts a layer', async () => {
    const { host, document: doc } = setup({ selection: featheredEllipse({ x: 500, y: 400, width: 100, height: 80 }) });
    const store = new PanelStore({ host, createClient: (url: string) => new FakeServiceClient(url), storage: new MemoryStorage(), secrets: new MemorySecrets(), pollMs: 1 });
    function Panel() {
      return <App state={usePanelState(store)} actions={store} />;
    }
    render(<Panel />);
    await act(() => store.start());
    await act(async () => {
      fireEvent.click(widget('sp-button', /^Generate$/));
    });
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Insert variation/ })).toHaveLength(3));
    await act(async () => {
      fireEvent.click(screen.getByLabelText('Insert variation 1 (seed 1234)'));
    });
    await waitFor(() => expect(screen.getByTestId('result-0').textContent).toMatch(/Inserted/));
    expect(doc!.layers.at(-1)!.name).toBe('Fill from surroundings (seed 1234)');
    store.dispose();
  });
});
