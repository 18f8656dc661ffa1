/**
 * Builds the plugin with the project's webpack config into a temp dir and checks what UXP will load: the manifest,
 * the icons it declares, the bundle (no eval, registers the manifest's panel id).
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import webpack from 'webpack';
import type { Configuration, Stats } from 'webpack';
import { Window } from 'happy-dom';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MockPhotoshop } from './mock/photoshop';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface IconDefinition {
  width: number;
  height: number;
  path: string;
  scale?: number[];
  theme?: string[];
}

interface Manifest {
  manifestVersion: number;
  id: string;
  name: string;
  version: string;
  main: string;
  host: { app: string; minVersion: string };
  entrypoints: { type: string; id: string; icons?: IconDefinition[]; minimumSize?: object; preferredDockedSize?: object }[];
  icons: IconDefinition[];
  requiredPermissions: { network: { domains: string[] | 'all' } };
}

let outDir: string;
let manifest: Manifest;
let bundle: string;
let bootstrap: string;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'genfill-plugin-'));
  const configModule = (await import(pathToFileURL(path.join(root, 'webpack.config.js')).href)) as {
    default: (env: unknown, argv: { mode: string }) => Configuration;
  };
  const config = configModule.default({}, { mode: 'production' });
  config.output = { ...config.output, path: outDir };
  const stats = await new Promise<Stats>((resolve, reject) =>
    webpack(config, (error, result) => (error || !result ? reject(error ?? new Error('webpack gave no stats')) : resolve(result))),
  );
  expect(stats.hasErrors(), stats.toString({ all: false, errors: true })).toBe(false);
  manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  bundle = readFileSync(path.join(outDir, 'index.js'), 'utf8');
  bootstrap = readFileSync(path.join(outDir, 'bootstrap.js'), 'utf8');
}, 120_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** UXP resolves `icons/x.png` with scale [1, 2] to `icons/x@1x.png` and `icons/x@2x.png`. */
function checkIcons(icons: IconDefinition[], width: number, height: number): void {
  expect(icons.length).toBeGreaterThan(0);
  const themes = new Set<string>();
  for (const icon of icons) {
    expect([icon.width, icon.height]).toEqual([width, height]);
    for (const theme of icon.theme ?? ['all']) themes.add(theme);
    for (const scale of icon.scale ?? [1]) {
      const file = path.join(outDir, icon.path.replace(/\.png$/, `@${scale}x.png`));
      expect(existsSync(file), file).toBe(true);
      expect(pngSize(file)).toEqual({ width: width * scale, height: height * scale });
    }
  }
  if (!themes.has('all')) for (const theme of ['lightest', 'light', 'medium', 'dark', 'darkest']) expect(themes.has(theme), theme).toBe(true);
}

describe('npm run build output', () => {
  it('has a valid v5 manifest for Photoshop 25.2+', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.manifestVersion).toBe(5);
    expect(manifest.id).toMatch(/^[A-Za-z0-9][\w.-]*$/);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.name.length).toBeGreaterThanOrEqual(3);
    expect(manifest.name.length).toBeLessThanOrEqual(45);
    expect(manifest.host.app).toBe('PS');
    expect(versionAtLeast(manifest.host.minVersion, '25.2.0')).toBe(true);
    expect(existsSync(path.join(outDir, manifest.main))).toBe(true);
    // The tiny bootstrap first, then the bundle.
    expect(readFileSync(path.join(outDir, manifest.main), 'utf8')).toMatch(/<script src="bootstrap\.js"><\/script>\s*<script src="index\.js"><\/script>/);
  });

  it('allows the default service origin on 127.0.0.1 and localhost', () => {
    const domains = manifest.requiredPermissions.network.domains;
    expect(Array.isArray(domains)).toBe(true);
    expect(domains).toEqual(expect.arrayContaining(['http://127.0.0.1:7870', 'http://localhost:7870']));
    // "all" inside an array silently denies everything.
    expect(domains).not.toContain('all');
  });

  it('declares panel (23/46) and plugin (24/48) icons for every theme, and ships them', () => {
    const panels = manifest.entrypoints.filter((e) => e.type === 'panel');
    expect(panels).toHaveLength(1);
    checkIcons(panels[0].icons ?? [], 23, 23);
    checkIcons(manifest.icons, 24, 24);
  });

  it('bootstrap.js registers the manifest panel id with setup() first thing: small, no React, no photoshop', () => {
    for (const script of [bootstrap, bundle]) expect(script).not.toContain('eval(');
    expect(existsSync(path.join(outDir, 'index.js.map'))).toBe(false);
    // Tiny next to the bundle: it parses and runs in well under the ~20 ms UXP allows (Adobe PS-57605).
    expect(bootstrap.length).toBeLessThan(2048);
    expect(bundle.length).toBeGreaterThan(50 * bootstrap.length);
    // Run it as UXP would: a global require for the host modules; record everything it touches, in order.
    const touched: string[] = [];
    let setupConfig: { panels: Record<string, unknown> } | null = null;
    const uxp = {
      entrypoints: {
        setup: (config: { panels: Record<string, unknown> }) => {
          touched.push('setup');
          setupConfig = config;
        },
      },
    };
    const require = (id: string) => {
      touched.push(`require ${id}`);
      if (id !== 'uxp') throw new Error(`bootstrap.js required ${id}: it must need nothing but uxp`);
      return uxp;
    };
    vm.runInNewContext(bootstrap, { require });
    expect(touched).toEqual(['require uxp', 'setup']);
    expect(Object.keys(setupConfig!.panels)).toEqual(manifest.entrypoints.filter((e) => e.type === 'panel').map((e) => e.id));
  });

  it('index.js does not register the panel itself: without bootstrap.js it says so', () => {
    const setup = vi.fn();
    const hostModules: Record<string, unknown> = {
      uxp: { entrypoints: { setup }, host: { version: '26.0.0' } },
      photoshop: { app: {}, core: {}, action: {}, imaging: {}, constants: {} },
    };
    expect(() => vm.runInNewContext(bundle, { require: (id: string) => hostModules[id], console, setTimeout, clearTimeout, queueMicrotask })).toThrow(/bootstrap\.js must run before index\.js/);
    expect(setup).not.toHaveBeenCalled();
  });

  it('mounts the production bundle as a panel: create() renders the UI, destroy() unmounts it', async () => {
    const window = new Window({ url: 'file:///dist/plugin/index.html' });
    const photoshop = new MockPhotoshop();
    let setupConfig: { panels: Record<string, { create(root: unknown): void; destroy(): void }> } | null = null;
    const hostModules: Record<string, unknown> = {
      uxp: {
        entrypoints: { setup: (config: typeof setupConfig) => (setupConfig = config) },
        host: { version: '26.0.0' },
        // As UXP documents it: nothing stored yet, so getItem rejects.
        storage: { secureStorage: { getItem: () => Promise.reject(new Error('no item')), setItem: async () => undefined, removeItem: async () => undefined } },
      },
      photoshop: photoshop.module,
    };
    const offline = () => Promise.reject(new TypeError('Network request failed'));
    // The scripts' free variables that UXP provides as globals, bound to a happy-dom window; `globalThis` is the
    // scope the two scripts share.
    const scope: Record<string, unknown> = {};
    const load = (script: string) =>
      (new Function('require', 'window', 'document', 'localStorage', 'navigator', 'fetch', 'globalThis', script) as (...args: unknown[]) => void)(
        (id: string) => hostModules[id],
        window,
        window.document,
        window.localStorage,
        window.navigator,
        offline,
        scope,
      );
    load(bootstrap);
    const [panelId] = manifest.entrypoints.filter((e) => e.type === 'panel').map((e) => e.id);
    const root = window.document.createElement('div');
    window.document.body.appendChild(root);
    // UXP may create the panel before the bundle has loaded: the bootstrap holds the call until it has.
    setupConfig!.panels[panelId].create(root);
    expect(root.querySelector('.panel')).toBeNull();
    load(bundle);
    await vi.waitFor(() => expect(root.querySelector('[data-testid="connection-text"]')?.textContent).toMatch(/not running at http:\/\/127\.0\.0\.1:7870/));
    expect([...root.querySelectorAll('sp-button')].map((b) => b.textContent)).toContain('Generate');
    expect(photoshop.listenerCount).toBe(1);
    setupConfig!.panels[panelId].destroy();
    expect(root.querySelector('.panel')).toBeNull();
    await window.happyDOM.close();
  });
});
