import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { ErrorBody } from '../../core/errors';
import type { Health, JobSnapshot } from '../../core/protocol';
import { RAW_HEADERS, ROUTES } from '../../core/protocol';
import { cropAsPng, expectUnmaskedIdentical, jobForm, makeCrop, rawJobForm, submit, waitForJob } from './helpers';
import { startTestService } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;

describe('a full job over HTTP (fake engines)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('answers health with the engines, the queue and the worker', async () => {
    const res = await fetch(service.url + ROUTES.health);
    expect(res.status).toBe(200);
    const health = (await res.json()) as Health;
    expect(health.name).toBe('genfill');
    expect(health.protocol).toBe(1);
    expect(health.queue.capacity).toBe(service.config.queueCapacity);
    expect(health.authRequired).toBe(false);
    expect(health.worker?.restarts).toBe(0);
  });

  it('runs a raw RGBA job: 202 → progress → succeeded → results at crop size, unmasked pixels untouched', async () => {
    const crop = makeCrop(96, 64, 4);
    const created = await submit(service.url, rawJobForm(crop, { steps: 4, variations: 2, seed: 7 }));
    expect(created.position).toBe(0);
    const seen = await waitForJob(service.url, created.id);
    const final = seen.at(-1)!;
    expect(final.state).toBe('succeeded');
    expect(final.seed).toBe(7);
    expect(final.engine).toBe('classic');
    expect(final.workingSize).toEqual({ width: 96, height: 64 });
    expect(final.progress.fraction).toBe(1);
    expect(final.results.map((r) => r.seed)).toEqual([7, 8]);
    expect(final.results.every((r) => r.width === 96 && r.height === 64)).toBe(true);
    expect(final.previewRevision).toBeGreaterThan(0);

    const raws: Uint8Array[] = [];
    for (const result of final.results) {
      const res = await fetch(`${service.url}${ROUTES.result(created.id, result.index)}?format=raw`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get(RAW_HEADERS.width)).toBe('96');
      expect(res.headers.get(RAW_HEADERS.height)).toBe('64');
      expect(res.headers.get(RAW_HEADERS.channels)).toBe('4');
      expect(res.headers.get(RAW_HEADERS.seed)).toBe(String(result.seed));
      const rgba = new Uint8Array(await res.arrayBuffer());
      expect(rgba.length).toBe(96 * 64 * 4);
      expectUnmaskedIdentical(crop, rgba);
      raws.push(rgba);
    }
    // Distinct seeds → distinct fills inside the hole.
    const centre = (32 * 96 + 48) * 4;
    expect(Array.from(raws[0].subarray(centre, centre + 3))).not.toEqual(Array.from(raws[1].subarray(centre, centre + 3)));

    const preview = await fetch(service.url + ROUTES.preview(created.id));
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('image/jpeg');
  });

  it('runs a PNG job and returns PNG results by default (raw with Accept: octet-stream)', async () => {
    const crop = makeCrop(80, 80, 3);
    const png = await cropAsPng(crop);
    const form = jobForm(
      { prompt: 'png in', steps: 2, variations: 1 },
      { bytes: png.image, type: 'image/png' },
      // Content-Type deliberately generic: the format is sniffed from the bytes.
      { bytes: png.mask, type: 'application/octet-stream' },
    );
    const created = await submit(service.url, form);
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    expect(Number.isInteger(final.seed)).toBe(true);

    const res = await fetch(service.url + ROUTES.result(created.id, 0));
    expect(res.headers.get('content-type')).toBe('image/png');
    const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([80, 80, 4]);
    expectUnmaskedIdentical(crop, new Uint8Array(data));

    const raw = await fetch(service.url + ROUTES.result(created.id, 0), { headers: { Accept: 'application/octet-stream' } });
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect((await raw.arrayBuffer()).byteLength).toBe(80 * 80 * 4);

    const thumbnail = await fetch(service.url + ROUTES.resultThumbnail(created.id, 0, 32));
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    const thumbInfo = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect([thumbInfo.format, thumbInfo.width, thumbInfo.height]).toEqual(['jpeg', 32, 32]);
    const badSide = await fetch(`${service.url}${ROUTES.result(created.id, 0)}?format=raw&maxSide=32`);
    expect(badSide.status).toBe(400);
    expect(((await badSide.json()) as ErrorBody).error).toMatchObject({ code: 'invalid_params', field: 'maxSide' });
  });

  it('streams snapshots over SSE, ending with the terminal one', async () => {
    const crop = makeCrop(64, 64, 3);
    const created = await submit(service.url, rawJobForm(crop, { steps: 5, variations: 1, prompt: 'slow' }));
    const res = await fetch(service.url + ROUTES.events(created.id));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const snapshots = [...text.matchAll(/event: snapshot\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]) as JobSnapshot);
    expect(snapshots.length).toBeGreaterThan(1);
    expect(snapshots.at(-1)!.state).toBe('succeeded');
    expect(snapshots.slice(0, -1).every((s) => s.state === 'queued' || s.state === 'running')).toBe(true);
    expect(snapshots.some((s) => s.state === 'running' && s.progress.step > 0)).toBe(true);
    expect(text).toMatch(/event: preview\ndata: \{"revision":\d+,"width":8,"height":8\}/);
    // A finished job's stream is one snapshot, then the end.
    const again = await (await fetch(service.url + ROUTES.events(created.id))).text();
    expect([...again.matchAll(/event: snapshot/g)]).toHaveLength(1);
  });
});
