/** The multipart reader on its own: parts land in place as they stream in, whatever the chunking. */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJobUpload } from '../../service/http/upload';
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
