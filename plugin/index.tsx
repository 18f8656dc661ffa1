/**
 * Composition root: builds the Photoshop host, the HTTP client and the store, mounts the React app, and hands the
 * panel to the slot bootstrap.ts registered with UXP. No logic lives here.
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
import { attachPanel } from './panel-slot';
import type { PanelLifecycle } from './panel-slot';

// The manifest is the one source of the plugin version and of the origins UXP lets the panel reach: the build copies
// this same file next to the bundle, so what the panel checks addresses against is what UXP enforces.
const CLIENT_NAME = `photoshop-panel/${manifest.version}`;

function Panel({ store }: { store: PanelStore }) {
  return <App state={usePanelState(store)} actions={store} />;
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
    networkDomains: manifest.requiredPermissions.network.domains,
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

attachPanel(globalThis, panel);
