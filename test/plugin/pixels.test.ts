import { describe, expect, it } from 'vitest';
import { placeTrimmed, toPhotoshop16, toRgba, toUint8 } from '../../plugin/host/pixels';
import { layerName } from '../../plugin/state/settings';

describe('host pixel helpers', () => {
  it('reads 16-bit data in Photoshop’s 0..32768 range and floats clamped to 0..1', () => {
    expect([...toUint8(Uint16Array.from([0, 16384, 32768, 65535]))]).toEqual([0, 128, 255, 255]);
    expect([...toUint8(Float32Array.from([-0.5, 0.5, 1, 3]))]).toEqual([0, 128, 255, 255]);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...toUint8(toPhotoshop16(all))]).toEqual([...all]);
  });

  it('pads a trimmed buffer into the requested rectangle by the returned bounds', () => {
    // Requested 4×3 at (10,20); Photoshop returned the 2×1 part at (11,21).
    const placed = placeTrimmed(Uint8Array.from([7, 8]), { width: 2, height: 1 }, 1, { left: 11, top: 21, right: 13, bottom: 22 }, 0, { x: 10, y: 20, width: 4, height: 3 }, { width: 4, height: 3 });
    expect([...placed.data]).toEqual([0, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0]);
  });

  it('maps pyramid-level bounds back to document pixels before padding a downscaled read', () => {
    // Requested 8×8 at (0,0) at target 4×4; returned level 1 bounds (1,1)-(3,3) = document (2,2)-(6,6).
    const placed = placeTrimmed(Uint8Array.from([1, 2, 3, 4]), { width: 2, height: 2 }, 1, { left: 1, top: 1, right: 3, bottom: 3 }, 1, { x: 0, y: 0, width: 8, height: 8 }, { width: 4, height: 4 });
    expect([...placed.data]).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });

  it('places a trimmed part of a downscaled read by its bounds, whatever size Photoshop gave it', () => {
    // Requested 8×4 at (0,0) at target 4×2; only document (4,0)-(8,4) holds pixels.
    const returned = { left: 4, top: 0, right: 8, bottom: 4 };
    const expected = [0, 0, 1, 2, 0, 0, 3, 4];
    // Scaled by target/requested: a 2×2 part.
    const scaled = placeTrimmed(Uint8Array.from([1, 2, 3, 4]), { width: 2, height: 2 }, 1, returned, 0, { x: 0, y: 0, width: 8, height: 4 }, { width: 4, height: 2 });
    expect([...scaled.data]).toEqual(expected);
    // Stretched to the whole target size: resampled into the same place, not spread over the whole crop.
    const stretched = placeTrimmed(Uint8Array.from([1, 1, 2, 2, 3, 3, 4, 4]), { width: 4, height: 2 }, 1, returned, 0, { x: 0, y: 0, width: 8, height: 4 }, { width: 4, height: 2 });
    expect([...stretched.data]).toEqual(expected);
  });

  it('takes an untrimmed pyramid-level read as it is, though its bounds are rounded to the level', () => {
    // Requested 6×6 at (1,1) at target 3×3; level 1 bounds (0,0)-(4,4) = document (0,0)-(8,8) after rounding.
    const data = Uint8Array.from({ length: 9 }, (_, i) => i + 1);
    const placed = placeTrimmed(data, { width: 3, height: 3 }, 1, { left: 0, top: 0, right: 4, bottom: 4 }, 1, { x: 1, y: 1, width: 6, height: 6 }, { width: 3, height: 3 });
    expect(placed.data).toBe(data);
  });

  it('rejects a buffer whose length does not match its size', () => {
    expect(() => placeTrimmed(new Uint8Array(5), { width: 2, height: 1 }, 3, { left: 0, top: 0, right: 2, bottom: 1 }, 0, { x: 0, y: 0, width: 2, height: 1 }, { width: 2, height: 1 })).toThrow(/5 bytes is not 2×1×3/);
  });

  it('expands RGB to opaque RGBA', () => {
    expect([...toRgba({ width: 1, height: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) })]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });
});

describe('layer names', () => {
  it('name the prompt (shortened) and the seed', () => {
    expect(layerName('  a red   boat ', 42)).toBe('a red boat (seed 42)');
    expect(layerName('', 7)).toBe('Fill from surroundings (seed 7)');
    expect(layerName('x'.repeat(100), 1)).toBe(`${'x'.repeat(39)}… (seed 1)`);
  });
});
