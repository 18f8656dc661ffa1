/** The panel's state as React reads it, and the one cell that holds it (the store's parts write their slices). */
import type { EngineName } from '../../core/params';
import type { Health, JobProgress, JobSnapshot } from '../../core/protocol';
import type { DocumentSummary } from '../host/host';
import type { Settings } from './settings';

export type Connection =
  | { status: 'connecting'; url: string }
  | { status: 'connected'; url: string; health: Health }
  /** No answer; the store retries by itself. */
  | { status: 'unreachable'; url: string; message: string }
  /** UXP refused the request: the address is not in the manifest's network permissions. Retried only on request. */
  | { status: 'blocked'; url: string; message: string }
  /** An answer this panel can't work with (other protocol version, not genfill); retried only on request. */
  | { status: 'incompatible'; url: string; message: string };

export interface ResultView {
  index: number;
  seed: number;
  thumbnailUrl: string | null;
  inserted: boolean;
}

export type JobView =
  | { phase: 'idle' }
  | { phase: 'reading' }
  | { phase: 'submitting' }
  | {
      phase: 'running';
      jobId: string;
      state: JobSnapshot['state'];
      position: number | null;
      /** The engine the service chose (engine `auto`), once it is known. */
      engine: EngineName | null;
      progress: JobProgress | null;
      previewUrl: string | null;
      cancelling: boolean;
    }
  | { phase: 'done'; jobId: string; prompt: string; engine: EngineName | null; results: ResultView[]; warnings: string[]; inserting: number | null };

export interface Message {
  kind: 'error' | 'info';
  text: string;
}

export interface PanelState {
  connection: Connection;
  settings: Settings;
  job: JobView;
  message: Message | null;
  document: DocumentSummary | null;
}

/** Holds the state; every change makes a new object and tells the subscribers (React's useSyncExternalStore). */
export class StateCell {
  #state: PanelState;
  readonly #listeners = new Set<() => void>();

  constructor(initial: PanelState) {
    this.#state = initial;
  }

  get = (): PanelState => this.#state;

  set(patch: Partial<PanelState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const listener of this.#listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  clear(): void {
    this.#listeners.clear();
  }
}

/** An error's own message ("Error: …" means nothing to a Photoshop user). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
