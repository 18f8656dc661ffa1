/**
 * Composition root: registers the panel with UXP, builds the Photoshop host, the HTTP client and the store, and
 * mounts the React app. No logic lives here.
 */
import * as photoshop from 'photoshop';
import * as uxp from 'uxp';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { HttpServiceClient } from './client/http-client';
import { PhotoshopHost } from './host/photoshop-host';
import { UxpSecretStorage } from './state/secret-storage';
import type { UxpSecureStorage } from './state/secret-storage';
import { PanelStore } from './state/store';
import { usePanelState } from './state/use-panel-state';
import { App } from './ui/App';
import manifest from '../manifest.json';

// The manifest is the one source of the panel id and the plugin version.
const PANEL_ID = manifest.entrypoints[0].id;
const CLIENT_NAME = `photoshop-panel/${manifest.version}`;

function Panel({ store }: { store: PanelStore }) {
  return <App state={usePanelState(store)} actions={store} />;
}

interface PanelLifecycle {
  create(rootNode?: HTMLElement): void;
  show(rootNode?: HTMLElement): void;
  destroy(): void;
}

let mounted: { root: Root; store: PanelStore } | null = null;

function mount(rootNode: HTMLElement | undefined): void {
  if (mounted) return;
  const container = document.createElement('div');
  container.className = 'genfill-root';
  (rootNode ?? document.body).appendChild(container);
  const store = new PanelStore({
    host: new PhotoshopHost(photoshop, uxp),
    createClient: (url, token) => new HttpServiceClient(url, { clientName: CLIENT_NAME, token }),
    storage: window.localStorage,
    // UXP documents it as require('uxp').storage.secureStorage; the typings misplace it at the module's top level.
    secrets: new UxpSecretStorage((uxp.storage as unknown as { secureStorage: UxpSecureStorage }).secureStorage),
  });
  const root = createRoot(container);
  root.render(
    <StrictMode>
      <Panel store={store} />
    </StrictMode>,
  );
  void store.start();
  mounted = { root, store };
}

const panel: PanelLifecycle = {
  create: (rootNode) => mount(rootNode),
  show: (rootNode) => mount(rootNode),
  destroy: () => {
    mounted?.root.unmount();
    mounted?.store.dispose();
    mounted = null;
  },
};

// Called synchronously at load: UXP fails uncatchably when setup() comes late. Its declared parameter type
// requires every lifecycle member, which UXP itself does not.
(uxp.entrypoints as unknown as { setup(config: { panels: Record<string, PanelLifecycle> }): void }).setup({
  panels: { [PANEL_ID]: panel },
});
