/**
 * Which patch centres play which role at one level. Only centres whose whole patch lies inside the image are used
 * (every pixel is still covered by at least one such patch). Among those, a centre whose patch touches the hole is a
 * target (its patch is rebuilt by voting); every other one is a source: its patch lies entirely outside the hole, so
 * nothing is ever copied from inside it.
 */
export interface PatchCentres {
  /** Target centres (pixel indices) in scan order. */
  targets: Int32Array;
  /** Source centres (pixel indices) in scan order. */
  sources: Int32Array;
  /** 1 where a pixel is a valid source centre. */
  isSource: Uint8Array;
}

export function classifyPatchCentres(hole: Uint8Array, width: number, height: number, radius: number): PatchCentres {
  const isSource = new Uint8Array(width * height);
  if (width < 2 * radius + 1 || height < 2 * radius + 1) {
    return { targets: new Int32Array(0), sources: new Int32Array(0), isSource };
  }
  // Summed-area table of the hole: a (2r+1)² window sum of 0 means the patch is hole-free.
  const stride = width + 1;
  const sums = new Int32Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += hole[y * width + x];
      sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
    }
  }
  const interior = (width - 2 * radius) * (height - 2 * radius);
  const targets = new Int32Array(interior);
  const sources = new Int32Array(interior);
  let targetCount = 0;
  let sourceCount = 0;
  const side = 2 * radius + 1;
  for (let y = radius; y < height - radius; y++) {
    const top = (y - radius) * stride;
    const bottom = (y - radius + side) * stride;
    for (let x = radius; x < width - radius; x++) {
      const left = x - radius;
      const right = left + side;
      const inHole = sums[bottom + right] - sums[bottom + left] - sums[top + right] + sums[top + left];
      const p = y * width + x;
      if (inHole > 0) targets[targetCount++] = p;
      else {
        sources[sourceCount++] = p;
        isSource[p] = 1;
      }
    }
  }
  return { targets: targets.subarray(0, targetCount), sources: sources.subarray(0, sourceCount), isSource };
}
