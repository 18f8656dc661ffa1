/**
 * Sum of squared RGB differences between the patches centred at `a` and `b` (both fully inside the image), row by
 * row, giving up as soon as the sum reaches `bound`: a candidate that is already worse than the current match
 * needs no exact distance.
 */
export function patchDistance(image: Float32Array, width: number, radius: number, a: number, b: number, bound: number): number {
  const rowLength = (2 * radius + 1) * 3;
  let sum = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    const ia = (a + dy * width - radius) * 3;
    const ib = (b + dy * width - radius) * 3;
    for (let k = 0; k < rowLength; k++) {
      const d = image[ia + k] - image[ib + k];
      sum += d * d;
    }
    if (sum >= bound) return sum;
  }
  return sum;
}
