/** Synthetic inputs for the service benchmarks: a photo-like gradient with grain, and a centred square hole. */

export function photoLike(width: number, height: number, channels: 3 | 4): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  let noise = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      noise = (noise * 1103515245 + 12345) >>> 0;
      const n = (noise >>> 24) & 15;
      const o = (y * width + x) * channels;
      data[o] = ((x * 255) / width + n) & 255;
      data[o + 1] = ((y * 255) / height + n) & 255;
      data[o + 2] = (128 + 60 * Math.sin(x / 40) * Math.cos(y / 55) + n) & 255;
      if (channels === 4) data[o + 3] = 255;
    }
  }
  return data;
}

export function holeMask(width: number, height: number, fraction: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const hw = Math.round(width * fraction);
  const hh = Math.round(height * fraction);
  const x0 = (width - hw) >> 1;
  const y0 = (height - hh) >> 1;
  for (let y = y0; y < y0 + hh; y++) mask.fill(255, y * width + x0, y * width + x0 + hw);
  return mask;
}
