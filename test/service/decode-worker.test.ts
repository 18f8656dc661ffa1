/**
 * The decode worker: encoded parts decode off the HTTP thread, their pixels come back in buffers that move (no
 * copy), a refusal comes back as the same GenfillError as decoding in place, and a decoder that dies fails only the
 * requests in flight, with a JSON 500, and is replaced by the next one.
 */
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenfillError } from '../../core/errors';
import { ROUTES } from '../../core/protocol';
import { createApp } from '../../service/http/app';
import { decodeEncodedPart, type UploadedPart } from '../../service/jobs/inputs';
import { JobQueue } from '../../service/jobs/queue';
import { DecodeWorkerHost } from '../../service/worker/decode-host';
import { cropAsPng, errorOf, jobForm, makeCrop, memoryLogger, movesWhenPosted, postJob, serveApp } from './helpers';
import { ManualRunner } from './manual-runner';

const CRASHING_ENTRY = new URL('./crashing-decode-worker.ts', import.meta.url);

/** A part as the upload hands it over: its bytes in a buffer of their own. */
function part(bytes: Uint8Array, contentType = 'image/png'): UploadedPart {
  return { bytes: new Uint8Array(bytes), contentType };
}

/** Why `promise` was refused, as the fields a client sees. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; field: string | undefined }> {
  const error = await promise.then(
    () => expect.unreachable('the decode was expected to fail'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GenfillError);
  const { code, message, field } = error as GenfillError;
  return { code, message, field };
}

/** A 1×1 PNG whose header claims `side`×`side` (checksum fixed, so only the size is wrong). */
async function pngClaiming(side: number): Promise<Uint8Array> {
  const png = Buffer.from(await sharp(new Uint8Array(3), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer());
  png.writeUInt32BE(side, 16);
  png.writeUInt32BE(side, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('decode worker', () => {
  const { log, lines } = memoryLogger();
  const host = new DecodeWorkerHost(log);
  afterAll(() => host.close());

  it('decodes PNG images (RGB, RGBA) and masks as this thread would, moving the part in and the pixels back', async () => {
    for (const channels of [3, 4] as const) {
      const png = await cropAsPng(makeCrop(24, 16, channels));
      for (const [role, bytes] of [['image', png.image], ['mask', png.mask]] as const) {
        const sent = part(bytes);
        const pixels = await host.decode(role, sent);
        // The encoded bytes went to the worker, not a copy of them.
        expect(sent.bytes.byteLength).toBe(0);
        const here = await decodeEncodedPart(role, part(bytes));
        expect([pixels.width, pixels.height, pixels.channels]).toEqual([here.width, here.height, here.channels]);
        expect(Buffer.compare(pixels.data, here.data)).toBe(0);
        // A buffer of exactly the pixels that JavaScript owns: it moves on to the engine worker without a copy.
        expect(pixels.data.byteOffset).toBe(0);
        expect(pixels.data.buffer.byteLength).toBe(pixels.data.byteLength);
        expect(movesWhenPosted(pixels.data)).toBe(true);
      }
    }
    // sharp's own output, by contrast, would have been copied: what the worker saves this thread.
    expect(movesWhenPosted((await decodeEncodedPart('image', part((await cropAsPng(makeCrop(8, 8))).image))).data)).toBe(false);
  });

  it('refuses bad parts with the same GenfillError (code, message, field) as decoding in this thread', async () => {
    const png = (await cropAsPng(makeCrop(32, 32))).image;
    const jpeg = await sharp(new Uint8Array(32 * 32 * 3).fill(90), { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer();
    const cases: [role: 'image' | 'mask', bytes: Uint8Array, type: string, code: string][] = [
      ['image', new TextEncoder().encode('GIF89a not really'), 'image/png', 'unsupported_format'],
      ['image', new Uint8Array([1, 2, 3, 4]), 'application/octet-stream', 'invalid_params'],
      ['image', await pngClaiming(60_000), 'image/png', 'payload_too_large'],
      // Cut short: the PNG header reads but its pixels do not; the JPEG's header is already incomplete.
      ['image', png.subarray(0, png.length >> 1), 'image/png', 'bad_request'],
      ['mask', jpeg.subarray(0, jpeg.length >> 1), 'image/jpeg', 'unsupported_format'],
    ];
    for (const [role, bytes, type, code] of cases) {
      const there = await refusal(host.decode(role, part(bytes, type)));
      expect(there.code, `${role} ${type}`).toBe(code);
      expect(there).toEqual(await refusal(decodeEncodedPart(role, part(bytes, type))));
    }
    expect(lines.filter((line) => /decode worker died/.test(line))).toEqual([]);
  });
});

describe('a decode worker that dies', () => {
  const { log, lines } = memoryLogger();
  const host = new DecodeWorkerHost(log, CRASHING_ENTRY);
  const runner = new ManualRunner();
  const queue = new JobQueue({ runner, capacity: 4, retentionSeconds: 60, retainedBytes: 2 ** 30, log });
  let service: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    const app = createApp({ queue, runner, log, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, decodeEncodedPart: host.decode });
    service = await serveApp(app);
  });
  afterAll(async () => {
    queue.clear();
    await Promise.all([service.close(), host.close()]);
  });

  it('fails the decodes in flight with a 500 that says so, and the next decode starts a new worker', async () => {
    const png = await cropAsPng(makeCrop(32, 32));
    const other = host.decode('mask', part(png.mask));
    const crashed = await refusal(host.decode('image', part(png.image, 'image/x-crash')));
    expect(crashed).toEqual({ code: 'internal', field: 'image', message: expect.stringMatching(/^image: the image decoder stopped \(exit code 9\) while decoding it; send the request again/) });
    // Sent before the crash, answered before it or failed with it: never left hanging.
    await other.then(
      (pixels) => expect(pixels.channels).toBe(1),
      (error: GenfillError) => expect(error.message).toMatch(/^mask: the image decoder stopped/),
    );
    expect(lines.some((line) => /the decode worker died/.test(line) && /exit code 9/.test(line))).toBe(true);
    const again = await host.decode('image', part(png.image));
    expect([again.width, again.height, again.channels]).toEqual([32, 32, 3]);
  });

  it('answers the POST of a job whose part crashed it with a JSON 500, and takes the next job', async () => {
    const png = await cropAsPng(makeCrop(32, 32));
    const params = { prompt: '', steps: 1, variations: 1 };
    const crash = await postJob(service.url, jobForm(params, { bytes: png.image, type: 'image/x-crash' }, { bytes: png.mask, type: 'image/png' }));
    expect(crash.status).toBe(500);
    expect(crash.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await errorOf(crash)).toMatchObject({ code: 'internal', field: 'image', message: expect.stringMatching(/image decoder stopped \(exit code 9\)/) });
    const next = await postJob(service.url, jobForm(params, { bytes: png.image, type: 'image/png' }, { bytes: png.mask, type: 'image/png' }));
    expect(next.status).toBe(202);
    expect((await runner.started(0)).job.image).toMatchObject({ width: 32, height: 32, channels: 3 });
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
  });
});
