/**
 * One level of the image pyramid: the picture as floats and its hole. Each coarser level halves the size with a
 * 2×2 box filter; a coarse pixel is hole when any of its children is, so known coarse pixels only average known
 * fine pixels and never carry hole colours.
 */
export interface PyramidLevel {
  width: number;
  height: number;
  /** RGB floats, interleaved; hole pixels hold whatever the fill has put there so far. */
  image: Float32Array;
  /** 1 = hole (to fill), 0 = known. */
  hole: Uint8Array;
  holeCount: number;
}

export function levelFromBytes(rgb: Uint8Array, mask: Uint8Array, threshold: number, width: number, height: number): PyramidLevel {
  const image = new Float32Array(width * height * 3);
  const hole = new Uint8Array(width * height);
  let holeCount = 0;
  for (let p = 0; p < hole.length; p++) {
    if (mask[p] >= threshold) {
      hole[p] = 1;
      holeCount++;
    } else {
      image[p * 3] = rgb[p * 3];
      image[p * 3 + 1] = rgb[p * 3 + 1];
      image[p * 3 + 2] = rgb[p * 3 + 2];
    }
  }
  return { width, height, image, hole, holeCount };
}

export function downsampleLevel(fine: PyramidLevel): PyramidLevel {
  const width = Math.ceil(fine.width / 2);
  const height = Math.ceil(fine.height / 2);
  const image = new Float32Array(width * height * 3);
  const hole = new Uint8Array(width * height);
  let holeCount = 0;
  for (let y = 0; y < height; y++) {
    const y0 = 2 * y;
    const y1 = Math.min(y0 + 1, fine.height - 1);
    for (let x = 0; x < width; x++) {
      const x0 = 2 * x;
      const x1 = Math.min(x0 + 1, fine.width - 1);
      const a = y0 * fine.width + x0;
      const b = y0 * fine.width + x1;
      const c = y1 * fine.width + x0;
      const d = y1 * fine.width + x1;
      const p = y * width + x;
      if (fine.hole[a] | fine.hole[b] | fine.hole[c] | fine.hole[d]) {
        hole[p] = 1;
        holeCount++;
        continue;
      }
      for (let k = 0; k < 3; k++) {
        image[p * 3 + k] = 0.25 * (fine.image[a * 3 + k] + fine.image[b * 3 + k] + fine.image[c * 3 + k] + fine.image[d * 3 + k]);
      }
    }
  }
  return { width, height, image, hole, holeCount };
}
