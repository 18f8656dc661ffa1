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
import { FakeServiceClient, healthy, MemorySecrets, MemoryStorage } from './fake-service-client';
import { expectNoImageDataLeaks, featheredEllipse, setup } from './fixtures';

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
    const prompt = screen.getByLabelText('Prompt') as HTMLElement & { value: string };
    prompt.value = 'a lighthouse';
    fireEvent(prompt, new Event('input'));
    expect(a.updateSettings).toHaveBeenCalledWith({ prompt: 'a lighthouse' });

    expect(screen.queryByLabelText('Negative prompt')).toBeNull();
    fireEvent.click(widget('sp-button', /Advanced settings/));
    const steps = screen.getByLabelText('Steps') as HTMLElement & { value: string };
    expect(steps.value).toBe('20');
    steps.value = '30';
    fireEvent(steps, new Event('input'));
    expect(a.updateSettings).toHaveBeenCalledWith({ steps: 30 });
    const engine = screen.getByLabelText('Engine') as HTMLElement & { selectedIndex: number };
    engine.selectedIndex = 2;
    fireEvent(engine, new Event('change'));
    expect(a.updateSettings).toHaveBeenCalledWith({ engine: 'classic' });
    fireEvent(widget('sp-checkbox', /Random seed/), new Event('change'));
    expect(a.updateSettings).toHaveBeenCalledWith({ seedMode: 'fixed' });
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
    expect(screen.getByText('2 prompt tokens were cut')).toBeTruthy();
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
    const address = screen.getByLabelText('Service address') as HTMLElement & { value: string };
    address.value = 'http://10.0.0.2:7870';
    fireEvent(address, new Event('input'));
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
