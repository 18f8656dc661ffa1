import { describe, expect, it } from 'vitest';
import { UxpSecretStorage } from '../../plugin/state/secret-storage';
import type { UxpSecureStorage } from '../../plugin/state/secret-storage';

/** secureStorage as UXP documents it: bytes in and out; getItem/removeItem reject for a missing key. */
class FakeSecureStorage implements UxpSecureStorage {
  readonly items = new Map<string, Uint8Array>();
  async getItem(key: string): Promise<Uint8Array> {
    const value = this.items.get(key);
    if (!value) throw new Error(`no item ${key}`);
    return value;
  }
  async setItem(key: string, value: Uint8Array): Promise<void> {
    this.items.set(key, value.slice());
  }
  async removeItem(key: string): Promise<void> {
    if (!this.items.delete(key)) throw new Error(`no item ${key}`);
  }
}

describe('UxpSecretStorage', () => {
  it('round-trips a token as one byte per character, and reads a missing one as null', async () => {
    const store = new FakeSecureStorage();
    const secrets = new UxpSecretStorage(store);
    expect(await secrets.read('t')).toBeNull();
    await secrets.write('t', 'Ab-1.~_+/= x');
    expect(Array.from(store.items.get('t')!)).toEqual(Array.from('Ab-1.~_+/= x', (c) => c.charCodeAt(0)));
    expect(await secrets.read('t')).toBe('Ab-1.~_+/= x');
  });

  it('removes on null or empty, also when nothing is stored', async () => {
    const store = new FakeSecureStorage();
    const secrets = new UxpSecretStorage(store);
    await secrets.write('t', 'x');
    await secrets.write('t', '');
    expect(store.items.has('t')).toBe(false);
    await expect(secrets.write('t', null)).resolves.toBeUndefined();
  });

  it('refuses characters it cannot store exactly', async () => {
    await expect(new UxpSecretStorage(new FakeSecureStorage()).write('t', 'clé')).rejects.toThrow(/printable ASCII/);
  });
});
