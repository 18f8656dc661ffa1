import { describe, expect, it } from 'vitest';
import { HttpServiceClient } from '../../plugin/client/http-client';
import type { FetchLike } from '../../plugin/client/http-client';
import { ServiceError } from '../../plugin/client/service-client';


function recording(response: () => Response) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return response();
  };
  return { calls, fetch };
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('HttpServiceClient', () => {
  it('posts its own multipart body: exact ArrayBuffer, ASCII headers, explicit boundary, a type and name per part', async () => {
    const { calls, fetch } = recording(() => Response.json({ id: 'j1', position: 0 }, { status: 202 }));
    const client = new HttpServiceClient('http://127.0.0.1:7870/', { fetch, token: 't0k', clientName: 'test/1' });
    const image = { width: 2, height: 1, channels: 4 as const, data: new Uint8Array(8).fill(9) };
    const mask = { width: 2, height: 1, channels: 1 as const, data: Uint8Array.from([0, 255]) };
    const prompt = 'un phare à l’aube 🌅';
    expect(await client.createJob({ params: { prompt }, image, mask })).toEqual({ id: 'j1', position: 0 });

    expect(calls[0].url).toBe('http://127.0.0.1:7870/v1/jobs');
    expect(calls[0].init?.method).toBe('POST');
    const headers = new Headers(calls[0].init?.headers);
    expect(headers.get('authorization')).toBe('Bearer t0k');
    const contentType = headers.get('content-type')!;
    const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(contentType)?.[1];
    expect(boundary).toMatch(/^----genfill-[0-9a-f]{32}$/);
    // Not a FormData (UXP's renames parts): one ArrayBuffer holding exactly the body.
    const body = calls[0].init?.body;
    expect(body).toBeInstanceOf(ArrayBuffer);
    const bytes = new Uint8Array(body as ArrayBuffer);
    expect(bytes.every((b) => b <= 0x7e || b === 255)).toBe(true);
    const text = String.fromCharCode(...bytes);
    expect(text).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="params"\r\nContent-Type: application/json\r\n\r\n`);
    expect(text).toContain('Content-Disposition: form-data; name="image"; filename="image.raw"\r\nContent-Type: application/octet-stream\r\n\r\n');
    expect(text).toContain('Content-Disposition: form-data; name="mask"; filename="mask.raw"\r\nContent-Type: application/octet-stream\r\n\r\n');
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);

    // A standard multipart parser reads it back exactly, the prompt included (escaped to ASCII in the JSON).
    const form = await new Response(body as ArrayBuffer, { headers: { 'content-type': contentType } }).formData();
    expect(JSON.parse(form.get('params') as string)).toEqual({ prompt, client: 'test/1', image: { width: 2, height: 1, channels: 4 }, mask: { width: 2, height: 1, channels: 1 } });
    expect([...new Uint8Array(await (form.get('image') as Blob).arrayBuffer())]).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    expect([...new Uint8Array(await (form.get('mask') as Blob).arrayBuffer())]).toEqual([0, 255]);
  });

  it('reports a request UXP refused for a missing manifest entry as blocked, not as a service that is down', async () => {
    const denied: FetchLike = () => Promise.reject(new TypeError('Permission denied to the url http://10.0.0.9:7870/v1/health. Manifest entry not found.'));
    const error = await failure(new HttpServiceClient('http://10.0.0.9:7870', { fetch: denied }).health());
    expect([error.code, error.status]).toEqual(['blocked', null]);
    expect(error.message).toMatch(/blocked the request to http:\/\/10\.0\.0\.9:7870: Permission denied/);
  });

  it("maps the service's error body to its code and message", async () => {
    const { fetch } = recording(() => Response.json({ error: { code: 'queue_full', message: 'the queue is full (8 waiting)' } }, { status: 429 }));
    const error = await failure(new HttpServiceClient('http://h:1', { fetch }).job('x'));
    expect([error.code, error.status, error.message]).toEqual(['queue_full', 429, 'the queue is full (8 waiting)']);
  });

  it('reports a non-genfill answer and no answer at all in words', async () => {
    const html = recording(() => new Response('<html>proxy error</html>', { status: 502 }));
    const bad = await failure(new HttpServiceClient('http://h:1', { fetch: html.fetch }).health());
    expect(bad.code).toBe('bad_response');
    expect(bad.message).toMatch(/answered HTTP 502: <html>proxy error/);

    const other = recording(() => Response.json({ hello: 'world' }));
    expect((await failure(new HttpServiceClient('http://h:1', { fetch: other.fetch }).health())).message).toMatch(/not as a genfill service/);

    const down: FetchLike = () => Promise.reject(new TypeError('Network request failed'));
    const unreachable = await failure(new HttpServiceClient('http://h:1', { fetch: down }).health());
    expect([unreachable.code, unreachable.status]).toEqual(['unreachable', null]);
    expect(unreachable.message).toMatch(/not reachable \(Network request failed\)/);
  });

  it('checks a raw result against its size headers', async () => {
    const headers = { 'x-image-width': '2', 'x-image-height': '2', 'x-image-channels': '3' };
    const ok = recording(() => new Response(new Uint8Array(12), { headers }));
    expect(await new HttpServiceClient('http://h:1', { fetch: ok.fetch }).result('j', 0)).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect(ok.calls[0].url).toBe('http://h:1/v1/jobs/j/results/0?format=raw');
    const short = recording(() => new Response(new Uint8Array(10), { headers }));
    expect((await failure(new HttpServiceClient('http://h:1', { fetch: short.fetch }).result('j', 0))).message).toMatch(/10 bytes, not 2×2×3/);
  });

  it('asks for small JPEG thumbnails, not full-size results, for display', async () => {
    const jpeg = recording(() => new Response(new Uint8Array([0xff, 0xd8, 0xff]), { headers: { 'content-type': 'image/jpeg' } }));
    const image = await new HttpServiceClient('http://h:1', { fetch: jpeg.fetch }).resultImage('j', 2);
    expect(jpeg.calls[0].url).toBe('http://h:1/v1/jobs/j/results/2?format=jpeg&maxSide=256');
    expect(image).toEqual({ bytes: new Uint8Array([0xff, 0xd8, 0xff]), mimeType: 'image/jpeg' });
  });

  it('returns no preview (null) before the first one exists', async () => {
    const { fetch } = recording(() => Response.json({ error: { code: 'not_found', message: 'no preview yet' } }, { status: 404 }));
    expect(await new HttpServiceClient('http://h:1', { fetch }).preview('j')).toBeNull();
  });
});
