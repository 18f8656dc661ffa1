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

  it('a huge declared size → 413 before any pixel is read', async () => {
    const form = rawJobForm(crop, { image: { width: 100_000, height: 100_000, channels: 3 } });
    await expectError(await postJob(service.url, form), 413, 'payload_too_large', 'image');
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
