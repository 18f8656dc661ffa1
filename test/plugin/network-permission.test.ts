import { describe, expect, it } from 'vitest';
import { isAllowedOrigin, parseOrigin } from '../../plugin/state/network-permission';
import manifest from '../../manifest.json';

describe('manifest network permission', () => {
  it('matches origins as UXP lists them: scheme, host and port, default ports filled in, *. wildcards', () => {
    expect(parseOrigin('HTTP://Example.com/')).toEqual({ scheme: 'http', host: 'example.com', port: '80' });
    expect(parseOrigin('http://[::1]:7870')).toEqual({ scheme: 'http', host: '[::1]', port: '7870' });
    expect(parseOrigin('http://host/path')).toBeNull();
    const domains = ['http://127.0.0.1:7870', 'https://*.example.com', 'not an origin'];
    expect(isAllowedOrigin('http://127.0.0.1:7870', domains)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:7871', domains)).toBe(false);
    expect(isAllowedOrigin('https://127.0.0.1:7870', domains)).toBe(false);
    expect(isAllowedOrigin('https://gpu.example.com:443', domains)).toBe(true);
    expect(isAllowedOrigin('https://example.com', domains)).toBe(false);
    expect(isAllowedOrigin('http://anything:1', 'all')).toBe(true);
  });

  it("the shipped manifest allows the default address and nothing else", () => {
    const domains = manifest.requiredPermissions.network.domains;
    expect(isAllowedOrigin('http://127.0.0.1:7870', domains)).toBe(true);
    expect(isAllowedOrigin('http://localhost:7870', domains)).toBe(true);
    expect(isAllowedOrigin('http://192.168.1.20:7870', domains)).toBe(false);
  });
});
