/** The multipart reader on its own: parts land in place as they stream in, whatever the chunking. */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJobUpload, type UploadLimits } from '../../service/http/upload';
import { ownsItsBuffer } from '../../service/worker/owned-buffers';
import { makeCrop, multipart, MULTIPART_TYPE } from './helpers';

/** A request whose body arrives in `chunkSize` pieces, one per event-loop turn. */
function streamedRequest(body: Uint8Array, chunkSize: number, headers: Record<string, string> = {}): IncomingMessage {
  const stream = new PassThrough();
  const req = Object.assign(stream, { headers: { 'content-type': MULTIPART_TYPE, ...headers }, complete: false }) as unknown as IncomingMessage;
  stream.on('end', () => Object.assign(req, { complete: true }));
  let offset = 0;
  const next = () => {
    if (offset >= body.length) return void stream.end();
    stream.write(body.subarray(offset, (offset += chunkSize)));
    setImmediate(next);
  };
  setImmediate(next);
  return req;
}

describe('readJobUpload', () => {
  const crop = makeCrop(64, 48, 4);
  const params = JSON.stringify({
    prompt: 'x',
    image: { width: crop.width, height: crop.height, channels: 4 },
    mask: { width: crop.width, height: crop.height, channels: 1 },
  });

  it('writes a declared raw part into one buffer of exactly its size, as it streams (no concatenation)', async () => {
    const body = multipart([
      { name: 'params', body: params },
      { name: 'image', filename: 'blob', body: crop.image },
      { name: 'mask', filename: 'blob', body: crop.mask },
    ]);
    const upload = await readJobUpload(streamedRequest(body, 1000));
    for (const [part, bytes] of [[upload.image, crop.image], [upload.mask, crop.mask]] as const) {
      expect(Buffer.compare(part.bytes, bytes)).toBe(0);
      // A standalone buffer the engine worker can take without a copy.
      expect(part.bytes.byteOffset).toBe(0);
      expect(part.bytes.buffer.byteLength).toBe(bytes.byteLength);
    }
    expect(upload.params.image).toEqual({ width: 64, height: 48, channels: 4 });
  });

  it('reads parts sent before params, and params sent as a file part, the same way', async () => {
    const body = multipart([
      { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
      { name: 'mask', filename: 'blob', body: crop.mask },
      { name: 'params', filename: 'params.json', type: 'application/json', body: params },
    ]);
    const upload = await readJobUpload(streamedRequest(body, 777));
    expect(Buffer.compare(upload.image.bytes, crop.image)).toBe(0);
    expect(Buffer.compare(upload.mask.bytes, crop.mask)).toBe(0);
    expect(upload.image.contentType).toBe('application/octet-stream');
  });

  it('allocates a part that arrives before params once, from the Content-Length, and hands it over without a copy', async () => {
    // Past the first 256 KiB a chunked body would start from: without Content-Length this part would double to 512 KiB.
    const big = makeCrop(320, 240, 4);
    const body = multipart([
      { name: 'image', filename: 'blob', body: big.image },
      { name: 'mask', filename: 'blob', body: big.mask },
      { name: 'params', body: JSON.stringify({ prompt: 'x', image: { width: 320, height: 240, channels: 4 }, mask: { width: 320, height: 240, channels: 1 } }) },
    ]);
    const chunk = 16 * 1024;
    for (const headers of [{ 'content-length': String(body.length) }, {}] as Record<string, string>[]) {
      const upload = await readJobUpload(streamedRequest(body, chunk, headers));
      for (const [part, bytes] of [[upload.image, big.image], [upload.mask, big.mask]] as const) {
        expect(Buffer.compare(part.bytes, bytes)).toBe(0);
        // A view on the front of a buffer that holds this part alone: it moves to a worker whole.
        expect(part.bytes.byteOffset).toBe(0);
        expect(ownsItsBuffer(part.bytes)).toBe(true);
      }
      if ('content-length' in headers) {
        // Sized by what was left of the body when the part began: never grown.
        expect(upload.image.bytes.buffer.byteLength).toBeLessThanOrEqual(body.length);
        // (counted from the start of the chunk the part began in)
        expect(upload.mask.bytes.buffer.byteLength).toBeLessThanOrEqual(body.length - big.image.length + chunk);
      } else {
        expect(upload.image.bytes.buffer.byteLength).toBe(512 * 1024);
      }
    }
  });

  it('reserves at most 4 MiB for a part before its bytes arrive, whatever the Content-Length claims', async () => {
    // Parts that arrive before params (1 KiB chunks), each sized from the rest of a claimed 100 MB body.
    const body = multipart([
      { name: 'image', filename: 'blob', body: crop.image },
      { name: 'mask', filename: 'blob', body: crop.mask },
      { name: 'params', body: params },
    ]);
    const upload = await readJobUpload(streamedRequest(body, 1024, { 'content-length': String(100 * 2 ** 20) }));
    expect(Buffer.compare(upload.image.bytes, crop.image)).toBe(0);
    for (const part of [upload.image, upload.mask]) {
      expect(part.bytes.buffer.byteLength).toBeLessThanOrEqual(4 * 2 ** 20);
      expect(ownsItsBuffer(part.bytes)).toBe(true);
    }
  });

  it('keeps every part limit with a Content-Length as without one (413 one byte past it)', async () => {
    const limits: UploadLimits = { part: { params: 1024, image: 4096, mask: 4096 }, body: 64 * 1024 };
    const bodyWith = (imageBytes: number) =>
      multipart([
        { name: 'image', filename: 'blob', type: 'image/png', body: new Uint8Array(imageBytes).fill(7) },
        { name: 'mask', filename: 'blob', type: 'image/png', body: new Uint8Array(16).fill(9) },
        { name: 'params', body: '{"prompt":"x"}' },
      ]);
    for (const length of [true, false]) {
      const headers = (body: Uint8Array): Record<string, string> => (length ? { 'content-length': String(body.length) } : {});
      const atLimit = bodyWith(4096);
      const upload = await readJobUpload(streamedRequest(atLimit, 1000, headers(atLimit)), limits);
      expect(upload.image.bytes.byteLength).toBe(4096);
      const over = bodyWith(4097);
      await expect(readJobUpload(streamedRequest(over, 1000, headers(over)), limits)).rejects.toMatchObject({
        code: 'payload_too_large',
        message: 'the image part exceeds 4096 bytes',
      });
    }
  });

  it('refuses a declared raw size past the pixel limit as soon as params is read (413)', async () => {
    const huge = JSON.stringify({ prompt: 'x', image: { width: 100_000, height: 100_000, channels: 4 } });
    const body = multipart([{ name: 'params', body: huge }, { name: 'image', filename: 'blob', body: new Uint8Array(1 << 20) }]);
    await expect(readJobUpload(streamedRequest(body, 4096))).rejects.toMatchObject({ code: 'payload_too_large', field: 'image' });
  });

  it('refuses an unexpected part, a duplicate part and a missing one with 400s naming them', async () => {
    const cases: [Parameters<typeof multipart>[0], RegExp][] = [
      [[{ name: 'params', body: params }, { name: 'other', filename: 'x', body: 'x' }], /unexpected part "other"/],
      [[{ name: 'params', body: params }, { name: 'image', filename: 'blob', body: crop.image }, { name: 'image', filename: 'blob', body: crop.image }], /"image" was sent twice/],
      [[{ name: 'params', body: params }, { name: 'image', filename: 'blob', body: crop.image }], /mask: the part is missing/],
    ];
    for (const [parts, message] of cases) {
      await expect(readJobUpload(streamedRequest(multipart(parts), 512))).rejects.toThrow(message);
    }
  });
});
