/** What keeps the panel honest about UXP's JavaScript environment: no text codecs in its modules, and lint says so. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('UXP environment', () => {
  it('panel modules (and their tests) see no TextEncoder or TextDecoder; Node keeps its own', () => {
    expect(typeof TextEncoder).toBe('undefined');
    expect(typeof TextDecoder).toBe('undefined');
    expect(() => new (TextEncoder as unknown as new () => unknown)()).toThrow(TypeError);
    expect(typeof globalThis.TextEncoder).toBe('function');
  });

  it('lint bans TextEncoder, TextDecoder and FormData in plugin/, not in service/', async () => {
    const eslint = new ESLint({ cwd: root });
    const code = 'export const bytes = new TextEncoder().encode("x");\nexport const text = new TextDecoder().decode(bytes);\nexport const form = new FormData();\n';
    const [plugin] = await eslint.lintText(code, { filePath: path.join(root, 'plugin/client/example.ts') });
    const banned = plugin.messages.filter((m) => m.ruleId === 'no-restricted-globals').map((m) => m.message);
    expect(banned).toHaveLength(3);
    expect(banned[0]).toMatch(/UXP has no TextEncoder/);
    expect(banned[1]).toMatch(/UXP has no TextDecoder/);
    expect(banned[2]).toMatch(/FormData renames file parts/);
    const [service] = await eslint.lintText(code, { filePath: path.join(root, 'service/http/example.ts') });
    expect(service.messages.filter((m) => m.ruleId === 'no-restricted-globals')).toEqual([]);
  });
});
