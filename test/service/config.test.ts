import { describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS, ConfigError, DEFAULT_CONFIG, configHelp, isLoopbackHost, resolveConfig } from '../../service/config';

describe('service configuration', () => {
  it('defaults to 127.0.0.1:7870, no model, no token, no CORS', () => {
    const config = resolveConfig();
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(7870);
    expect(config.modelDir).toBeNull();
    expect(config.corsOrigins).toEqual([]);
    expect(config.graphDtype).toBe('auto');
  });

  it('--graph-dtype: auto (per provider), fp32 or fp16, from the environment or a flag', () => {
    expect(resolveConfig({ env: { GENFILL_GRAPH_DTYPE: 'fp32' } }).graphDtype).toBe('fp32');
    expect(resolveConfig({ env: { GENFILL_GRAPH_DTYPE: 'fp32' }, flags: { 'graph-dtype': 'fp16' } }).graphDtype).toBe('fp16');
    expect(() => resolveConfig({ flags: { 'graph-dtype': 'bf16' } })).toThrow(/--graph-dtype \(GENFILL_GRAPH_DTYPE\).*"auto"\|"fp32"\|"fp16" \(got "bf16"\)/);
  });

  it('applies file < environment < flags', () => {
    const files: Record<string, string> = { '/etc/genfill.json': JSON.stringify({ port: 1000, queueCapacity: 3, modelDir: '/models/file' }) };
    const config = resolveConfig({
      env: { GENFILL_CONFIG: '/etc/genfill.json', GENFILL_PORT: '2000', GENFILL_CORS_ORIGINS: 'a, b', GENFILL_LOW_MEMORY: 'true' },
      flags: { port: '3000', 'allowed-host': ['x.lan', 'y.lan'], quiet: true },
      readFile: (path) => files[path],
    });
    expect(config.port).toBe(3000);
    expect(config.queueCapacity).toBe(3);
    expect(config.modelDir).toBe('/models/file');
    expect(config.corsOrigins).toEqual(['a', 'b']);
    expect(config.allowedHosts).toEqual(['x.lan', 'y.lan']);
    expect(config.lowMemory).toBe(true);
    expect(config.quiet).toBe(true);
  });

  it('says which value is wrong and why', () => {
    expect(() => resolveConfig({ flags: { port: 'http' } })).toThrow(/--port: "http" is not an integer/);
    expect(() => resolveConfig({ env: { GENFILL_PORT: '70000' } })).toThrow(/--port \(GENFILL_PORT\).*70000/);
    expect(() => resolveConfig({ flags: { provider: 'tpu' } })).toThrow(/--provider/);
    expect(() => resolveConfig({ env: { GENFILL_LOW_MEMORY: 'maybe' } })).toThrow(/GENFILL_LOW_MEMORY: "maybe" is not a boolean/);
    expect(() => resolveConfig({ flags: { config: '/x.json' }, readFile: () => '{"prot": 1}' })).toThrow(/unknown key "prot"/);
    expect(() => resolveConfig({ flags: { config: '/x.json' }, readFile: () => JSON.stringify({ engineModule: '/tmp/evil.js' }) })).toThrow(/unknown key "engineModule"/);
    expect(() => resolveConfig({ flags: { config: '/x.json' }, readFile: () => '{' })).toThrow(/not valid JSON/);
  });

  it('refuses a non-loopback bind without a token, allows it with one', () => {
    expect(() => resolveConfig({ flags: { host: '0.0.0.0' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ flags: { host: '192.168.1.5' } })).toThrow(/without a token/);
    expect(resolveConfig({ flags: { host: '0.0.0.0', token: 'long-enough-token' } }).host).toBe('0.0.0.0');
    expect(() => resolveConfig({ flags: { host: '0.0.0.0', token: 'short' } })).toThrow(/at least 8 characters/);
    expect(resolveConfig({ flags: { host: 'localhost' } }).host).toBe('localhost');
  });

  it('refuses allowed hosts that are not host names, and timer values Node cannot hold', () => {
    expect(resolveConfig({ flags: { 'allowed-host': ['genfill.lan', 'proxy.lan:8443', '[fe80::1]', 'fe80::1'] } }).allowedHosts).toHaveLength(4);
    expect(() => resolveConfig({ flags: { 'allowed-host': ['http://genfill.lan'] } })).toThrow(/--allowed-host \(GENFILL_ALLOWED_HOSTS\): each must be a host name/);
    expect(() => resolveConfig({ flags: { retention: String(30 * 24 * 3600) } })).toThrow(/--retention/);
    expect(() => resolveConfig({ flags: { 'shutdown-grace': String(2 ** 31) } })).toThrow(/--shutdown-grace/);
    expect(resolveConfig({ env: { GENFILL_RETAINED_MB: '512' } }).retainedMegabytes).toBe(512);
  });

  it('knows the loopback names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('--help lists every flag with its environment variable and default', () => {
    const help = configHelp();
    for (const option of CONFIG_OPTIONS) {
      expect(help).toContain(`--${option.flag}`);
      expect(help).toContain(`env ${option.env}, default`);
    }
    expect(help).toContain('--config FILE');
    expect(help).toContain('env GENFILL_PORT, default 7870');
    expect(help).toContain('env GENFILL_HOST, default 127.0.0.1');
    expect(help).toMatch(/--graph-dtype auto\|fp32\|fp16 .*auto: fp16 on a GPU provider.*env GENFILL_GRAPH_DTYPE, default auto/s);
  });
});
