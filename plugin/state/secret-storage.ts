/**
 * Where the panel keeps the service's access token: UXP's secureStorage (encrypted per user and plugin), not
 * localStorage, which UXP's own docs say not to use for secrets. secureStorage is documented as a cache that can
 * lose data, so a token that cannot be read is simply asked for again.
 */

export interface SecretStorage {
  /** The stored value, or null when there is none or it cannot be read. */
  read(key: string): Promise<string | null>;
  /** Stores the value; null removes it. */
  write(key: string, value: string | null): Promise<void>;
}

/** The part of UXP's `storage.secureStorage` used here (values come back as bytes). */
export interface UxpSecureStorage {
  getItem(key: string): Promise<Uint8Array>;
  setItem(key: string, value: Uint8Array): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** Tokens are printable ASCII (RFC 6750's token characters and then some), so one byte per character is exact. */
export function isStorableSecret(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

export class UxpSecretStorage implements SecretStorage {
  readonly #store: UxpSecureStorage;

  constructor(store: UxpSecureStorage) {
    this.#store = store;
  }

  async read(key: string): Promise<string | null> {
    try {
      const bytes = await this.#store.getItem(key);
      return bytes && bytes.length > 0 ? String.fromCharCode(...bytes) : null;
    } catch {
      return null;
    }
  }

  async write(key: string, value: string | null): Promise<void> {
    if (value === null || value === '') {
      // removeItem rejects when there is nothing to remove, which is fine here.
      await this.#store.removeItem(key).catch(() => undefined);
      return;
    }
    if (!isStorableSecret(value)) throw new Error('the access token may contain only printable ASCII characters');
    await this.#store.setItem(key, Uint8Array.from(value, (c) => c.charCodeAt(0)));
  }
}
