import { useSyncExternalStore } from 'react';
import type { PanelState, PanelStore } from './store';

/** Subscribes a component to the store; re-renders on every state change. */
export function usePanelState(store: PanelStore): PanelState {
  return useSyncExternalStore(store.subscribe, store.getState);
}
