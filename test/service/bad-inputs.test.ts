import { connect } from 'node:net';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../../core/params';
import { ROUTES } from '../../core/protocol';
import { contextCrop } from '../../core/geometry';
import { cropAsPng, errorOf, jobForm, makeCrop, postJob, rawJobForm, rawRequest, startTestService, submit, waitForJob } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;
const crop = makeCrop(32, 32, 3);
const raw = (bytes: Uint8Array) => ({ bytes, type: 'application/octet-stream' });

describe('bad inputs get a clear 4xx and leave the service healthy', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
  });
  afterAll(async () => {
    await service.close();
  });

  async function expectError(res: Response, status: number, code: string, field?: string): Promise<string> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const error = await errorOf(res);
    expect(error.code).toBe(code);
    if (field !== undefined) expect(error.field).toBe(field);
    return error.message;
  }

  it('malformed multipart → 400 bad_request', async () => {
    const res = await fetch(service.url + ROUTES.jobs, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="params"\r\n\r\n{"prompt":""}\r\n--XYZ\r\nbroken',
    });
    expect(await expectError(res, 400, 'bad_request')).toMatch(/malformed multipart/);
  });

  it('a non-multipart body → 415', async () => {
    const res = await fetch(service.url + ROUTES.jobs, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await expectError(res, 415, 'unsupported_format');
  });

  it('params that are not JSON, or miss a part → 400 naming it', async () => {
    await expectError(await postJob(service.url, jobForm('{nope', raw(crop.image), raw(crop.mask))), 400, 'invalid_params', 'params');
    const form = new FormData();
    form.append('params', JSON.stringify({ prompt: '' }));
    form.append('image', new Blob([crop.image as Uint8Array<ArrayBuffer>]), 'image');
    await expectError(await postJob(service.url, form), 400, 'bad_request', 'mask');
  });

  it('raw pixels whose length does not match the declared dimensions → 400', async () => {
    const form = rawJobForm(crop, { image: { width: 33, height: 32, channels: 3 } });
    expect(await expectError(await postJob(service.url, form), 400, 'bad_request', 'image')).toMatch(/3072 bytes.*33×32×3 = 3168/);
  });

  it('a raw part without its params description → 400 naming params.image', async () => {
    const form = jobForm({ prompt: '' }, raw(crop.image), raw(crop.mask));
    await expectError(await postJob(service.url, form), 400, 'invalid_params', 'params.image');
  });

  it('a mask of another size → 400 size_mismatch', async () => {
    const other = makeCrop(32, 16, 3);
    const form = rawJobForm(crop, { mask: { width: 32, height: 16, channels: 1 } });
    form.set('mask', new Blob([other.mask as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), 'mask');
    expect(await expectError(await postJob(service.url, form), 400, 'size_mismatch', 'mask')).toMatch(/32×16 differs from the image's 32×32/);
  });

  it('raw parts with the wrong channel count → 400 naming params.image/mask.channels', async () => {
    const gray = rawJobForm(crop, { image: { width: 32, height: 32, channels: 1 } });
    gray.set('image', new Blob([crop.mask as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), 'image');
    expect(await expectError(await postJob(service.url, gray), 400, 'invalid_params', 'params.image.channels')).toMatch(/3 or 4 channels, got 1/);
    const colourMask = rawJobForm(crop, { mask: { width: 32, height: 32, channels: 3 } });
    colourMask.set('mask', new Blob([crop.image as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), 'mask');
    await expectError(await postJob(service.url, colourMask), 400, 'invalid_params', 'params.mask.channels');
  });

  it('a request Node cannot parse, or a body cut short → 400 with the JSON error body', async () => {
    const send = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(service.port, '127.0.0.1');
        let response = '';
        socket.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')));
        socket.on('close', () => resolve(response));
        socket.on('error', reject);
        // Half-close after sending: the server sees the end of the request stream.
        socket.end(text);
      });
    const head = (length: string) => `POST ${ROUTES.jobs} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=X\r\nContent-Length: ${length}\r\n\r\n`;
    for (const text of [head('abc'), head('1000') + '--X\r\nContent-Disposition: form-data; name="params"\r\n\r\n{"prompt":""}\r\n']) {
      const response = await send(text);
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(response).toMatch(/content-type: application\/json/i);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toMatch(/malformed HTTP request/);
    }
  });

  it('an EXIF-rotated JPEG is read as displayed: its mask is compared with the turned size', async () => {
    // Stored 48×32 with orientation 6 (turn 90° clockwise) → displayed 32×48.
    const jpeg = await sharp(new Uint8Array(48 * 32 * 3).fill(90), { raw: { width: 48, height: 32, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const maskOf = (width: number, height: number) => sharp(new Uint8Array(width * height).fill(255), { raw: { width, height, channels: 1 } }).png().toBuffer();
    const stored = jobForm({ prompt: '', steps: 1, variations: 1 }, { bytes: jpeg, type: 'image/jpeg' }, { bytes: await maskOf(48, 32), type: 'image/png' });
    expect(await expectError(await postJob(service.url, stored), 400, 'size_mismatch', 'mask')).toMatch(/48×32 differs from the image's 32×48/);
    const shown = jobForm({ prompt: '', steps: 1, variations: 1 }, { bytes: jpeg, type: 'image/jpeg' }, { bytes: await maskOf(32, 48), type: 'image/png' });
    const final = (await waitForJob(service.url, (await submit(service.url, shown)).id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    expect(final.results[0]).toMatchObject({ width: 32, height: 48 });
  });

  it('a gray PNG image and a gray+alpha one are accepted (as RGB and RGBA)', async () => {
    const png = await cropAsPng(crop);
    for (const channels of [1, 2] as const) {
      const image = await sharp(new Uint8Array(32 * 32 * channels).fill(120), { raw: { width: 32, height: 32, channels } }).png().toBuffer();
      const form = jobForm({ prompt: '', steps: 1, variations: 1 }, { bytes: image, type: 'image/png' }, { bytes: png.mask, type: 'image/png' });
      const final = (await waitForJob(service.url, (await submit(service.url, form)).id)).at(-1)!;
      expect(final.state, `channels ${channels}`).toBe('succeeded');
      const result = new Uint8Array(await (await fetch(`${service.url}${ROUTES.result(final.id, 0)}?format=raw`)).arrayBuffer());
      // A corner is outside the hole: the gray value comes back in all three channels, alpha as sent.
      expect(Array.from(result.subarray(0, 4))).toEqual([120, 120, 120, channels === 2 ? 120 : 255]);
    }
  });

  it('a huge declared size → 413 before any pixel is read', async () => {
    const form = rawJobForm(crop, { image: { width: 100_000, height: 100_000, channels: 3 } });
    await expectError(await postJob(service.url, form), 413, 'payload_too_large', 'image');
  });

  it('a PNG whose header declares a huge size → 413 before it is decoded', async () => {
    const png = Buffer.from(await sharp(new Uint8Array(3), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer());
    // IHDR: length(4) type(4) at 8, width and height at 16 and 20, its CRC (over type and data) at 29.
    png.writeUInt32BE(60_000, 16);
    png.writeUInt32BE(60_000, 20);
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    const form = jobForm({ prompt: '' }, { bytes: png, type: 'image/png' }, { bytes: (await cropAsPng(crop)).mask, type: 'image/png' });
    expect(await expectError(await postJob(service.url, form), 413, 'payload_too_large', 'image')).toMatch(/60000×60000 \(png header\)/);
  });

  it('a PNG or JPEG cut short → 400 or 415 naming the part (decoded in the decode worker, as in place)', async () => {
    const png = await cropAsPng(crop);
    const cut = png.image.subarray(0, png.image.length >> 1);
    const form = jobForm({ prompt: '' }, { bytes: cut, type: 'image/png' }, { bytes: png.mask, type: 'image/png' });
    expect(await expectError(await postJob(service.url, form), 400, 'bad_request', 'image')).toMatch(/^image: the png data cannot be decoded \(/);
    const jpeg = await sharp(crop.mask, { raw: { width: 32, height: 32, channels: 1 } }).jpeg().toBuffer();
    const badMask = jobForm({ prompt: '' }, { bytes: png.image, type: 'image/png' }, { bytes: jpeg.subarray(0, jpeg.length >> 1), type: 'image/jpeg' });
    expect(await expectError(await postJob(service.url, badMask), 415, 'unsupported_format', 'mask')).toMatch(/^mask: not a PNG, JPEG or WebP image \(content-type image\/jpeg\)/);
  });

  it('a huge declared Content-Length → 413', async () => {
    const res = await rawRequest(service.url, {
      method: 'POST',
      path: ROUTES.jobs,
      headers: { 'content-type': 'multipart/form-data; boundary=X', 'content-length': String(INPUT_LIMITS.maxBodyBytes + 1) },
      body: '--X--',
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large');
  });

  it('an image that is not PNG/JPEG/WebP → 415, whatever its Content-Type says', async () => {
    const form = jobForm({ prompt: '' }, { bytes: new TextEncoder().encode('GIF89a not really'), type: 'image/png' }, raw(crop.mask));
    await expectError(await postJob(service.url, form), 415, 'unsupported_format', 'image');
  });

  it('an unknown scheduler, negative steps, an unknown field → 400 invalid_params with the field', async () => {
    expect(await expectError(await postJob(service.url, rawJobForm(crop, { scheduler: 'plms' as never })), 400, 'invalid_params', 'params.scheduler')).toMatch(
      /must be one of euler/,
    );
    expect(await expectError(await postJob(service.url, rawJobForm(crop, { steps: -3 })), 400, 'invalid_params', 'params.steps')).toMatch(
      /at least 1 \(got -3\)/,
    );
    await expectError(await postJob(service.url, rawJobForm(crop, { steps: 2.5 })), 400, 'invalid_params', 'params.steps');
    await expectError(await postJob(service.url, rawJobForm(crop, { guidance: 31 })), 400, 'invalid_params', 'params.guidance');
    await expectError(await postJob(service.url, rawJobForm(crop, { stepz: 3 } as never)), 400, 'invalid_params', 'params.stepz');
  });

  it('a prompt over the character limit → 400 params.prompt', async () => {
    const form = rawJobForm(crop, { prompt: 'x'.repeat(INPUT_LIMITS.promptChars + 1) });
    await expectError(await postJob(service.url, form), 400, 'invalid_params', 'params.prompt');
  });

  it('an all-black mask → 400 empty_mask', async () => {
    const form = rawJobForm(crop);
    form.set('mask', new Blob([new Uint8Array(32 * 32)], { type: 'application/octet-stream' }), 'mask');
    await expectError(await postJob(service.url, form), 400, 'empty_mask', 'mask');
  });

  it('sdxl without a model → 503 engine_unavailable with the reason', async () => {
    const message = await expectError(await postJob(service.url, rawJobForm(crop, { engine: 'sdxl' })), 503, 'engine_unavailable', 'params.engine');
    expect(message).toMatch(/sdxl/);
  });

  it('a placement that contradicts the crop → 400 placement_mismatch listing the problems', async () => {
    const placement = { document: { width: 100, height: 100 }, crop: { x: 90, y: 0, width: 32, height: 32 }, selection: { x: 0, y: 0, width: 5, height: 5 } };
    const message = await expectError(await postJob(service.url, rawJobForm(crop, { placement })), 400, 'placement_mismatch', 'params.placement');
    expect(message).toMatch(/outside the document/);
    expect(message).toMatch(/does not contain the selection/);
  });

  it('a consistent placement off the crop rule is accepted with a warning', async () => {
    const selection = { x: 10, y: 10, width: 8, height: 8 };
    const document = { width: 64, height: 64 };
    expect(contextCrop(selection, document)).not.toEqual({ x: 0, y: 0, width: 32, height: 32 });
    const png = await cropAsPng(crop);
    const form = jobForm(
      { prompt: '', steps: 1, variations: 1, placement: { document, crop: { x: 0, y: 0, width: 32, height: 32 }, selection } },
      { bytes: png.image, type: 'image/png' },
      { bytes: png.mask, type: 'image/png' },
    );
    const created = await submit(service.url, form);
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    expect(final.warnings.join()).toMatch(/differs from the context-crop rule/);
  });

  it('unknown routes → 404 JSON; wrong methods → 405 JSON with Allow', async () => {
    await expectError(await fetch(service.url + '/v1/nothing'), 404, 'not_found');
    await expectError(await fetch(service.url + '/'), 404, 'not_found');
    const res = await fetch(service.url + ROUTES.jobs, { method: 'GET' });
    expect(res.headers.get('allow')).toBe('POST');
    await expectError(res, 405, 'method_not_allowed');
    await expectError(await fetch(service.url + ROUTES.health, { method: 'DELETE' }), 405, 'method_not_allowed');
    await expectError(await fetch(service.url + ROUTES.job('nope')), 404, 'not_found');
    await expectError(await fetch(service.url + ROUTES.preview('nope')), 404, 'not_found');
    await expectError(await fetch(`${service.url}${ROUTES.result('nope', 0)}?format=tiff`), 404, 'not_found');
  });
});
