import { describe, expect, it, vi } from 'vitest';
import { attachPanel, PANEL_SLOT_KEY, registerPanel } from '../../plugin/panel-slot';
import type { PanelLifecycle } from '../../plugin/panel-slot';

function recordingPanel(log: string[]): PanelLifecycle {
  return {
    create: (root) => log.push(`create ${root?.id}`),
    show: (root) => log.push(`show ${root?.id}`),
    destroy: () => log.push('destroy'),
  };
}

describe('bootstrap hand-over', () => {
  it('registers the panel with setup() synchronously, before any implementation exists', () => {
    const setup = vi.fn();
    const scope = {};
    registerPanel({ setup }, 'genfillPanel', scope);
    expect(setup).toHaveBeenCalledTimes(1);
    expect(Object.keys(setup.mock.calls[0][0].panels)).toEqual(['genfillPanel']);
    expect(PANEL_SLOT_KEY in scope).toBe(true);
  });

  it("replays what UXP asked before the bundle attached, in order, then forwards directly", () => {
    let config: { panels: Record<string, PanelLifecycle> } | null = null;
    const scope = {};
    registerPanel({ setup: (c) => (config = c) }, 'p', scope);
    const lifecycle = config!.panels.p;
    lifecycle.create({ id: 'root' } as HTMLElement);
    lifecycle.show({ id: 'root' } as HTMLElement);
    const log: string[] = [];
    attachPanel(scope, recordingPanel(log));
    expect(log).toEqual(['create root', 'show root']);
    lifecycle.destroy();
    expect(log).toEqual(['create root', 'show root', 'destroy']);
  });

  it('refuses to attach without the bootstrap', () => {
    expect(() => attachPanel({}, recordingPanel([]))).toThrow(/bootstrap\.js must run before index\.js/);
  });
});
