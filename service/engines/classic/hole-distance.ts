/**
 * Chessboard distance from each hole pixel to the nearest known pixel, by a breadth-first walk inward from the hole
 * boundary. The walk order is the onion-peel order used to initialise the fill, and the largest distance (the hole's
 * inner radius) sets the pyramid depth.
 */
export interface HoleDistance {
  /** 0 for known pixels, d ≥ 1 for hole pixels, −1 for hole pixels no known pixel reaches (no known pixel at all). */
  distance: Int32Array;
  /** Hole pixels nearest-first (only the reached ones). */
  order: Int32Array;
  /** Largest distance found (0 when there is no hole or nothing reached it). */
  maxDistance: number;
}

export function holeDistance(hole: Uint8Array, width: number, height: number): HoleDistance {
  const distance = new Int32Array(width * height);
  let holeCount = 0;
  for (let p = 0; p < hole.length; p++) {
    if (hole[p]) {
      distance[p] = -1;
      holeCount++;
    }
  }
  const order = new Int32Array(holeCount);
  let tail = 0;
  // Seed: hole pixels touching a known pixel.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!hole[p] || !touches(distance, width, height, x, y, 0)) continue;
      distance[p] = 1;
      order[tail++] = p;
    }
  }
  let maxDistance = tail > 0 ? 1 : 0;
  for (let head = 0; head < tail; head++) {
    const p = order[head];
    const x = p % width;
    const y = (p - x) / width;
    const next = distance[p] + 1;
    for (let dy = -1; dy <= 1; dy++) {
      const ny = y + dy;
      if (ny < 0 || ny >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        if (nx < 0 || nx >= width) continue;
        const q = ny * width + nx;
        if (distance[q] !== -1) continue;
        distance[q] = next;
        order[tail++] = q;
        if (next > maxDistance) maxDistance = next;
      }
    }
  }
  return { distance, order: order.subarray(0, tail), maxDistance };
}

/** True when an 8-neighbour of (x, y) has exactly distance `value`. */
function touches(distance: Int32Array, width: number, height: number, x: number, y: number, value: number): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const ny = y + dy;
    if (ny < 0 || ny >= height) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
      if (distance[ny * width + nx] === value) return true;
    }
  }
  return false;
}
