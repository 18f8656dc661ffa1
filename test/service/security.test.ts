import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../core/protocol';
import { ConfigError } from '../../service/config';
import { startService } from '../../service/main';
import { FAKE_ENGINE_MODULE, makeCrop, postJob, rawJobForm, rawRequest, socketExchange, startTestService, submit } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;

describe('Host header guard (DNS rebinding)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService({ allowedHosts: ['genfill.lan', 'proxy.lan:8443', 'fe80::1'] });
  });
  afterAll(async () => {
    await service.close();
  });

  it('refuses a foreign Host with 403 forbidden_host, and keeps serving', async () => {
    const res = await rawRequest(service.url, { path: ROUTES.health, headers: { Host: 'evil.example' } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden_host');
    const wrongPort = await rawRequest(service.url, { path: ROUTES.health, headers: { Host: `127.0.0.1:${service.port + 1}` } });
    expect(wrongPort.status).toBe(403);
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
  });

  it('accepts loopback names with or without the port, and configured names', async () => {
    for (const host of [`127.0.0.1:${service.port}`, `localhost:${service.port}`, `[::1]:${service.port}`, 'localhost', 'genfill.lan', `GENFILL.lan:${service.port}`]) {
      const res = await rawRequest(service.url, { path: ROUTES.health, headers: { Host: host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('accepts a configured name:port on that port only, and a bare IPv6 address', async () => {
    for (const host of ['proxy.lan:8443', 'PROXY.lan:8443', '[fe80::1]', `[FE80::1]:${service.port}`]) {
      expect((await rawRequest(service.url, { path: ROUTES.health, headers: { Host: host } })).status, host).toBe(200);
    }
    for (const host of ['proxy.lan', `proxy.lan:${service.port}`, 'proxy.lan:8444', '[fe80::1]:8443', 'genfill.lan:8443', 'localhost.evil.example']) {
      const res = await rawRequest(service.url, { path: ROUTES.health, headers: { Host: host } });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('forbidden_host');
    }
  });

  it('refuses a request without a Host header with the same JSON 403 (not a bare 400 from Node)', async () => {
    const response = await socketExchange(service.port, `GET ${ROUTES.health} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 403 /);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('forbidden_host');
    expect(body.error.message).toMatch(/without a Host header/);
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
  });

  it('sends no CORS headers unless configured', async () => {
    const res = await fetch(service.url + ROUTES.health);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('bearer token', () => {
  let service: Service;
  const token = 'secret-token-123';
  beforeAll(async () => {
    service = await startTestService({ token, corsOrigins: ['uxp://com.example.genfill'] });
  });
  afterAll(async () => {
    await service.close();
  });

  it('leaves health open (and says auth is required) but needs the token everywhere else', async () => {
    const health = await fetch(service.url + ROUTES.health);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { authRequired: boolean }).authRequired).toBe(true);

    const crop = makeCrop(32, 32, 3);
    const missing = await postJob(service.url, rawJobForm(crop));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await postJob(service.url, rawJobForm(crop), { Authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect((await fetch(service.url + ROUTES.job('x'))).status).toBe(401);

    const ok = await postJob(service.url, rawJobForm(crop, { steps: 1, variations: 1 }), { Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(202);
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
  });

  it('answers CORS preflights and adds CORS headers for a configured origin only', async () => {
    const preflight = await fetch(service.url + ROUTES.jobs, {
      method: 'OPTIONS',
      headers: { Origin: 'uxp://com.example.genfill', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('uxp://com.example.genfill');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await fetch(service.url + ROUTES.health, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('binding beyond loopback', () => {
  it('refuses to start on a non-loopback address without a token', async () => {
    await expect(startService({ host: '0.0.0.0', port: 0, engineModule: FAKE_ENGINE_MODULE })).rejects.toThrow(ConfigError);
    await expect(startService({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/without a token.*--token/);
  });

  it('starts on 0.0.0.0 with a token', async () => {
    const service = await startTestService({ host: '0.0.0.0', token: 'another-secret' });
    try {
      expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
      const created = await submit(service.url, rawJobForm(makeCrop(16, 16, 3), { steps: 1 })).catch((e: Error) => e);
      expect(String(created)).toMatch(/401/);
      const missing = await postJob(service.url, rawJobForm(makeCrop(16, 16, 3), { steps: 1 }));
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
      const ok = await postJob(service.url, rawJobForm(makeCrop(16, 16, 3), { steps: 1, variations: 1 }), { Authorization: 'Bearer another-secret' });
      expect(ok.status).toBe(202);
    } finally {
      await service.close();
    }
  });
});
