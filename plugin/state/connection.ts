/**
 * The connection to the genfill service: its address and access token (persisted), the client for them, health
 * checks with retry while unreachable, and the manifest check of a new address.
 */
import { DEFAULT_HOST, DEFAULT_PORT } from '../../core/protocol';
import { ServiceError } from '../client/service-client';
import type { ServiceClient } from '../client/service-client';
import { incompatibility, serviceMessage } from './messages';
import { isAllowedOrigin, notAllowedMessage } from './network-permission';
import type { NetworkDomains } from './network-permission';
import type { Connection, StateCell } from './panel-state';
import { isStorableSecret } from './secret-storage';
import type { SecretStorage } from './secret-storage';

export const DEFAULT_SERVICE_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
const URL_STORAGE_KEY = 'genfill.serviceUrl';
const TOKEN_STORAGE_KEY = 'genfill.serviceToken';

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface ConnectionDependencies {
  /** `token`: the service's bearer token, null when none is set (a loopback service needs none). */
  createClient: (url: string, token: string | null) => ServiceClient;
  storage: KeyValueStorage;
  secrets: SecretStorage;
  /** The manifest's network permission; addresses outside it are refused before saving. */
  networkDomains: NetworkDomains;
  retryMs: number;
  healthMs: number;
}

export class ServiceConnection {
  readonly #cell: StateCell;
  readonly #deps: ConnectionDependencies;
  #client: ServiceClient;
  /** Read from secure storage in start(); null until then, and when none is set. */
  #token: string | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;

  constructor(cell: StateCell, deps: ConnectionDependencies) {
    this.#cell = cell;
    this.#deps = deps;
    this.#client = deps.createClient(ServiceConnection.storedUrl(deps.storage), null);
  }

  /** The address the panel starts with: the saved one, or the default. */
  static storedUrl(storage: KeyValueStorage): string {
    return storage.getItem(URL_STORAGE_KEY) ?? DEFAULT_SERVICE_URL;
  }

  get client(): ServiceClient {
    return this.#client;
  }

  /** Reads the stored access token, then connects. */
  async start(): Promise<void> {
    const client = this.#client;
    const token = await this.#deps.secrets.read(TOKEN_STORAGE_KEY);
    // setService may have replaced the client meanwhile; it connects by itself.
    if (this.#disposed || client !== this.#client) return;
    if (token) {
      this.#token = token;
      this.#client = this.#deps.createClient(this.#client.url, token);
    }
    return this.connect();
  }

  dispose(): void {
    this.#disposed = true;
    this.#clearRetry();
  }

  /** Checks the service now; then again every retryMs while it is unreachable, every healthMs while connected. */
  async connect(): Promise<void> {
    this.#clearRetry();
    const client = this.#client;
    const url = client.url;
    if (this.#cell.get().connection.status !== 'connected') this.#cell.set({ connection: { status: 'connecting', url } });
    let connection: Connection;
    try {
      const health = await client.health();
      const problem =
        incompatibility(health) ??
        (health.authRequired && !this.#token ? 'This genfill service requires an access token: choose Change and enter the token it was started with.' : null);
      connection = problem ? { status: 'incompatible', url, message: problem } : { status: 'connected', url, health };
    } catch (error) {
      connection = failedConnection(error, url);
    }
    if (this.#disposed || client !== this.#client) return;
    this.#cell.set({ connection });
    const next = connection.status === 'unreachable' ? this.#deps.retryMs : connection.status === 'connected' ? this.#deps.healthMs : null;
    if (next !== null) this.#retryTimer = setTimeout(() => void this.connect(), next);
  }

  /**
   * Points the panel at another service (address and optional access token, both persisted). An address the
   * manifest does not allow is refused with what to add, and nothing is saved.
   */
  setService(input: string, token = ''): void {
    const url = input.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+$/i.test(url)) {
      this.#cell.set({ message: { kind: 'error', text: `“${input}” is not a service address. Use the form http://127.0.0.1:7870.` } });
      return;
    }
    if (!isAllowedOrigin(url, this.#deps.networkDomains)) {
      this.#cell.set({ message: { kind: 'error', text: `${notAllowedMessage(url)} The address was not saved.` } });
      return;
    }
    const secret = token.trim();
    if (!isStorableSecret(secret)) {
      this.#cell.set({ message: { kind: 'error', text: 'The access token may contain only letters, digits and ASCII punctuation.' } });
      return;
    }
    this.#deps.storage.setItem(URL_STORAGE_KEY, url);
    this.#deps.secrets.write(TOKEN_STORAGE_KEY, secret || null).catch(() => {
      this.#cell.set({ message: { kind: 'info', text: 'The access token could not be saved; you may have to enter it again next time.' } });
    });
    this.#token = secret || null;
    this.#client = this.#deps.createClient(url, this.#token);
    this.#cell.set({ connection: { status: 'connecting', url }, message: null });
    void this.connect();
  }

  /** A request failed mid-job: an unreachable or blocked service shows as such (unreachable: retried by itself). */
  reportFailure(error: unknown): void {
    if (this.#disposed || !(error instanceof ServiceError) || (error.code !== 'unreachable' && error.code !== 'blocked')) return;
    this.#cell.set({ connection: failedConnection(error, this.#client.url) });
    this.#clearRetry();
    if (error.code === 'unreachable') this.#retryTimer = setTimeout(() => void this.connect(), this.#deps.retryMs);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }
}

function failedConnection(error: unknown, url: string): Connection {
  const message = serviceMessage(error, url);
  if (error instanceof ServiceError && error.code === 'unreachable') return { status: 'unreachable', url, message };
  if (error instanceof ServiceError && error.code === 'blocked') return { status: 'blocked', url, message };
  return { status: 'incompatible', url, message };
}
