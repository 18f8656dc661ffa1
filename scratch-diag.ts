import sharp from 'sharp';
import { compositeByMask } from './core/mask';
import { inpaintRegion } from './service/jobs/region';
import { regionJob } from './service/jobs/run-inpaint';
import { resolveParams } from './service/jobs/params';
import { prepareEngineJob } from './service/jobs/region';
import { thumbnailSize } from './service/jobs/result-thumbnail';

function scene(width: number, height: number, detail: number) {
  const image = new Uint8Array(width * height * 3), mask = new Uint8Array(width * height);
  const [x0, x1, y0, y1] = [width * 0.3, width * 0.65, height * 0.25, height * 0.7];
  const feather = Math.max(4, width * 0.05);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = y * width + x, u = x / width, v = y / height;
    let d = 0; for (const period of [4, 7, 13, 24, 45, 90, 170]) d += (period / 8) * Math.sin((x * 0.8 + y * 0.6) * 2 * Math.PI / period + period) * Math.cos((y * 0.8 - x * 0.5) * 2 * Math.PI / (period * 1.3));
    image[p * 3] = 120 + 50 * Math.sin(u * 9) + detail * d;
    image[p * 3 + 1] = 110 + 40 * Math.cos(v * 7) + detail * d * 0.8;
    image[p * 3 + 2] = 100 + 40 * Math.sin((u + v) * 11) - detail * d * 0.6;
    const inY = y >= y0 && y < y1;
    if (inY && x >= x0 && x < x1) mask[p] = 255; else if (inY && x >= x1 && x < x1 + feather) mask[p] = Math.round(255 * (1 - (x - x1) / feather));
  }
  return { image: { width, height, channels: 3 as const, data: image }, mask: { width, height, channels: 1 as const, data: mask }, warnings: [] };
}
const mad = (a: Uint8Array, b: Uint8Array, region?: (p: number) => boolean) => { const s = [0, 0, 0]; let n = 0; for (let p = 0; p < a.length / 3; p++) { if (region && !region(p)) continue; n++; for (let c = 0; c < 3; c++) s[c] += Math.abs(a[p * 3 + c] - b[p * 3 + c]); } return Math.max(...s) / n; };
for (const [w, h] of [[1400, 1400], [700, 1800], [2000, 800]]) for (const detail of [0, 1]) for (const texture of [0, 25]) {
  const inputs = scene(w, h, detail);
  const job = regionJob(inputs, resolveParams({ prompt: 'x', variations: 1, seed: 3, colorMatch: false }), 'sdxl');
  let engineJob: any;
  const engines = () => ({ name: 'sdxl', status: () => ({}), async dispose() {}, async run(j: any) {
    engineJob = j;
    const rgb = new Uint8Array(j.image.length);
    for (let p = 0, i = 0; p < j.width * j.height; p++, i += 3) { const x = p % j.width, y = Math.floor(p / j.width); const t = texture * Math.sin(x / 5 + 3) * Math.cos(y / 7);
      rgb[i] = Math.min(255, Math.max(0, j.image[i] * 0.8 + 40 + t)); rgb[i + 1] = j.image[i + 1]; rgb[i + 2] = Math.min(255, Math.max(0, j.image[i + 2] - 30 - t)); }
    return { images: [{ seed: 3, width: j.width, height: j.height, rgb }], warnings: [] };
  } }) as any;
  const out = await inpaintRegion(engines, 'sdxl', job, { onProgress() {}, isCancelled: () => false });
  const r = out.results[0];
  const size = thumbnailSize(r.pixels);
  const lazyRaw = await sharp(r.pixels.data, { raw: { width: w, height: h, channels: 4 } }).resize(256, 256, { fit: 'inside', kernel: 'lanczos3' }).flatten({ background: '#fff' }).raw().toBuffer();
  // gen image again at working size: reconstruct from engine
  const gen = (await engines().run(engineJob)).images[0];
  const comp = compositeByMask(engineJob.image, 3, gen.rgb, engineJob.mask);
  const workRaw = await sharp(comp, { raw: { width: gen.width, height: gen.height, channels: 4 } }).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' }).flatten({ background: '#fff' }).raw().toBuffer();
  const a = await sharp(r.thumbnail!).raw().toBuffer(); const b = await sharp(await sharp(r.pixels.data, { raw: { width: w, height: h, channels: 4 } }).resize(256, 256, { fit: 'inside', kernel: 'lanczos3' }).flatten({ background: '#fff' }).jpeg({ quality: 85 }).toBuffer()).raw().toBuffer();
  // mask at thumb size, crude
  const tm = await sharp(inputs.mask.data, { raw: { width: w, height: h, channels: 1 } }).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
  console.log(`${w}x${h} detail ${detail} texture ${texture} working ${job.working.width}x${job.working.height}: jpeg MAD ${mad(a, b).toFixed(2)}; raw MAD ${mad(workRaw, lazyRaw).toFixed(2)}; raw in-mask ${mad(workRaw, lazyRaw, (p) => tm[p] > 0).toFixed(2)} outside ${mad(workRaw, lazyRaw, (p) => tm[p] === 0).toFixed(2)}`);
}
