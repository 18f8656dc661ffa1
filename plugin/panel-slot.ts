/**
 * The hand-over between the tiny bootstrap script and the panel bundle. UXP fails uncatchably when
 * `entrypoints.setup()` comes more than ~20 ms after start (Adobe known issue PS-57605), and parsing the React bundle
 * takes longer than that; so bootstrap.js registers the panel first thing, and queues what UXP asks of it until
 * index.js attaches the real panel.
 */

export interface PanelLifecycle {
  create(rootNode?: HTMLElement): void;
  show(rootNode?: HTMLElement): void;
  destroy(): void;
}

export interface EntryPoints {
  setup(config: { panels: Record<string, PanelLifecycle> }): void;
}

/** Where bootstrap.js leaves the slot for index.js (both scripts share the panel's global scope). */
export const PANEL_SLOT_KEY = '__genfillPanelSlot';

interface PanelSlot {
  attach(panel: PanelLifecycle): void;
}

type Call = { method: 'create' | 'show'; rootNode?: HTMLElement } | { method: 'destroy' };

/** Calls `entrypoints.setup` at once with forwarding callbacks, then leaves the slot in `scope`. */
export function registerPanel(entrypoints: EntryPoints, panelId: string, scope: object): void {
  let panel: PanelLifecycle | null = null;
  const pending: Call[] = [];
  const forward = (call: Call) => {
    if (!panel) pending.push(call);
    else if (call.method === 'destroy') panel.destroy();
    else panel[call.method](call.rootNode);
  };
  entrypoints.setup({
    panels: {
      [panelId]: {
        create: (rootNode) => forward({ method: 'create', rootNode }),
        show: (rootNode) => forward({ method: 'show', rootNode }),
        destroy: () => forward({ method: 'destroy' }),
      },
    },
  });
  const slot: PanelSlot = {
    attach(attached) {
      panel = attached;
      for (const call of pending.splice(0)) forward(call);
    },
  };
  (scope as Record<string, unknown>)[PANEL_SLOT_KEY] = slot;
}

/** Gives the registered panel its implementation; what UXP asked before now is replayed. */
export function attachPanel(scope: object, panel: PanelLifecycle): void {
  const slot = (scope as Record<string, unknown>)[PANEL_SLOT_KEY] as PanelSlot | undefined;
  if (!slot) throw new Error('genfill: bootstrap.js must run before index.js (see index.html)');
  slot.attach(panel);
}
