/**
 * The panel's store: a thin façade over its three parts — the service connection (connection.ts), the settings
 * (settings-state.ts) and the job session (job-session.ts) — which share one state cell that React reads through
 * subscribe/getState. Depends only on the Host and ServiceClient interfaces.
 */
import type { ServiceClient } from '../client/service-client';
import type { Host } from '../host/host';
import { ServiceConnection } from './connection';
import type { KeyValueStorage } from './connection';
import { JobSession } from './job-session';
import type { NetworkDomains } from './network-permission';
import { StateCell } from './panel-state';
import type { PanelState } from './panel-state';
import type { SecretStorage } from './secret-storage';
import type { Settings } from './settings';
import { SettingsState } from './settings-state';

export { DEFAULT_SERVICE_URL } from './connection';
export type { KeyValueStorage } from './connection';
export type { Connection, JobView, Message, PanelState, ResultView } from './panel-state';

export interface StoreDependencies {
  host: Host;
  /** `token`: the service's bearer token, null when none is set (a loopback service needs none). */
  createClient: (url: string, token: string | null) => ServiceClient;
  storage: KeyValueStorage;
  /** Where the access token is kept (UXP secureStorage in the panel). */
  secrets: SecretStorage;
  /** manifest.json → requiredPermissions.network.domains (default: "all", for hosts without UXP's permissions). */
  networkDomains?: NetworkDomains;
  /** Job status polling interval. */
  pollMs?: number;
  /** Delay between reconnection attempts while the service is unreachable. */
  retryMs?: number;
  /** Delay between health checks while connected, so a service that went away shows as such. */
  healthMs?: number;
}

/** What the UI may ask of the store. */
export type PanelActions = Pick<
  PanelStore,
  'connect' | 'setService' | 'updateSettings' | 'reuseSeed' | 'dismissMessage' | 'generate' | 'cancel' | 'insert' | 'insertAll'
>;

export class PanelStore {
  readonly #cell: StateCell;
  readonly #host: Host;
  readonly #connection: ServiceConnection;
  readonly #settings: SettingsState;
  readonly #session: JobSession;
  #unwatch: (() => void) | null = null;
  #disposed = false;

  constructor(deps: StoreDependencies) {
    this.#host = deps.host;
    this.#cell = new StateCell({
      connection: { status: 'connecting', url: ServiceConnection.storedUrl(deps.storage) },
      settings: SettingsState.restore(deps.storage),
      job: { phase: 'idle' },
      message: null,
      document: null,
    });
    this.#connection = new ServiceConnection(this.#cell, {
      createClient: deps.createClient,
      storage: deps.storage,
      secrets: deps.secrets,
      networkDomains: deps.networkDomains ?? 'all',
      retryMs: deps.retryMs ?? 3000,
      healthMs: deps.healthMs ?? 15_000,
    });
    this.#settings = new SettingsState(this.#cell, deps.storage);
    this.#session = new JobSession(this.#cell, deps.host, this.#connection, deps.pollMs ?? 250);
  }

  getState = (): PanelState => this.#cell.get();

  subscribe = (listener: () => void): (() => void) => this.#cell.subscribe(listener);

  /** Starts watching the document, reads the stored access token and connects to the service. */
  async start(): Promise<void> {
    this.#unwatch = this.#host.watchDocument(() => this.#refreshDocument());
    this.#refreshDocument();
    return this.#connection.start();
  }

  dispose(): void {
    this.#disposed = true;
    this.#session.dispose();
    this.#connection.dispose();
    this.#unwatch?.();
    this.#cell.clear();
  }

  connect(): Promise<void> {
    return this.#connection.connect();
  }

  setService(input: string, token = ''): void {
    this.#connection.setService(input, token);
  }

  /** Changes settings; all but the prompt are remembered for the next session. */
  updateSettings(patch: Partial<Settings>): void {
    this.#settings.update(patch);
  }

  reuseSeed(index: number): void {
    this.#settings.reuseSeed(index);
  }

  dismissMessage(): void {
    this.#cell.set({ message: null });
  }

  generate(): Promise<void> {
    return this.#session.generate();
  }

  cancel(): Promise<void> {
    return this.#session.cancel();
  }

  insert(index: number): Promise<boolean> {
    return this.#session.insert(index);
  }

  insertAll(): Promise<void> {
    return this.#session.insertAll();
  }

  #refreshDocument(): void {
    if (!this.#disposed) this.#cell.set({ document: this.#host.activeDocument() });
  }
}
