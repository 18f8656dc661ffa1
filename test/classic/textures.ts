/**
 * Synthetic test pictures and masks for the classic engine (tests and bench): textures whose statistics are known,
 * so a fill can be judged against its surroundings or against the original under the hole.
 */
import { Random } from '../../service/engines/classic/random';

export interface Picture {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export const TEXTURES = ['stripes', 'checker', 'noise', 'gradient'] as const;
export type TextureName = (typeof TEXTURES)[number];

const DARK = [40, 60, 90];
const LIGHT = [220, 200, 150];

/** Hard two-colour stripes, period `period` pixels along the direction (cos a, sin a). */
export function stripes(width: number, height: number, period = 16, angle = Math.PI / 6): Picture {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return paint(width, height, (x, y) => {
    const phase = ((x * cos + y * sin) / period) % 1;
    return phase < 0.5 || phase + 1 < 0.5 ? DARK : LIGHT;
  });
}

/** Two-colour checkerboard of `cell`-pixel squares. */
export function checker(width: number, height: number, cell = 16): Picture {
  return paint(width, height, (x, y) => ((Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0 ? DARK : LIGHT));
}

/** Independent uniform noise per pixel and channel around a mid colour (±`amplitude`). */
export function noise(width: number, height: number, seed = 7, amplitude = 60): Picture {
  const random = new Random(seed);
  const base = [128, 110, 90];
  return paint(width, height, (_x, _y) => base.map((b) => b + Math.round((2 * random.next() - 1) * amplitude)));
}

/** A smooth left-to-right colour gradient with soft vertical stripes and a little noise on top. */
export function gradient(width: number, height: number, seed = 11): Picture {
  const random = new Random(seed);
  return paint(width, height, (x, y) => {
    const t = x / Math.max(1, width - 1);
    const wave = 30 * Math.sin((2 * Math.PI * (x + 0.5 * y)) / 24);
    const grain = (2 * random.next() - 1) * 12;
    return [40 + 160 * t + wave + grain, 180 - 100 * t + wave + grain, 90 + 40 * t + grain];
  });
}

export function texture(name: TextureName, width: number, height: number): Picture {
  switch (name) {
    case 'stripes':
      return stripes(width, height);
    case 'checker':
      return checker(width, height);
    case 'noise':
      return noise(width, height);
    case 'gradient':
      return gradient(width, height);
  }
}

/** Mask with a `side`² square of `value` centred in the picture, 0 elsewhere. */
export function squareMask(width: number, height: number, side: number, value = 255): Uint8Array {
  return rectMask(width, height, Math.floor((width - side) / 2), Math.floor((height - side) / 2), side, side, value);
}

export function rectMask(width: number, height: number, left: number, top: number, w: number, h: number, value = 255): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = Math.max(0, top); y < Math.min(height, top + h); y++) {
    mask.fill(value, y * width + Math.max(0, left), y * width + Math.min(width, left + w));
  }
  return mask;
}

function paint(width: number, height: number, colour: (x: number, y: number) => number[]): Picture {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colour(x, y);
      for (let k = 0; k < 3; k++) rgb[(y * width + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k])));
    }
  }
  return { width, height, rgb };
}
