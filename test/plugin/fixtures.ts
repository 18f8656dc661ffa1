/** Documents and selections for the plugin tests, built on the mocked Photoshop. */
import { DEFAULT_CAPTURE_SETTINGS, planCapture } from '../../core/capture-plan';
import type { Rect, Size } from '../../core/geometry';
import { PhotoshopHost } from '../../plugin/host/photoshop-host';
import type { RawImage } from '../../plugin/raw-image';
import { MockPhotoshop } from './mock/photoshop';
import type { DocumentInit, Fill, Raster } from './mock/photoshop';
import { mockUxp } from './mock/uxp';

/** A smooth opaque gradient, different in every channel, cheap at any size. */
export const gradient: Fill = (x, y) => [x % 256, y % 256, (x + y) % 256, 255];

/** An elliptical selection with a soft (feathered) edge `feather` pixels wide, inside `rect`. */
export function featheredEllipse(rect: Rect, feather = 8): Raster {
  const data = new Uint8Array(rect.width * rect.height);
  const cx = rect.width / 2, cy = rect.height / 2;
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const dx = (x + 0.5 - cx) / cx, dy = (y + 0.5 - cy) / cy;
      const distanceInside = (1 - Math.hypot(dx, dy)) * Math.min(cx, cy);
      data[y * rect.width + x] = Math.max(0, Math.min(255, Math.round((distanceInside / feather) * 255)));
    }
  }
  return { ...rect, channels: 1, data };
}

/** A hard-edged rectangle selection. */
export function rectSelection(rect: Rect): Raster {
  return { ...rect, channels: 1, data: new Uint8Array(rect.width * rect.height).fill(255) };
}

/** The capture planner with the default settings (auto context, no grow or feather). */
export const autoPlan = (document: Size, selection: Rect) => planCapture(document, selection, DEFAULT_CAPTURE_SETTINGS);

/** Every mocked Photoshop made by `setup`, for the leak check after each test. */
const made: MockPhotoshop[] = [];

/** Fails the test when any Photoshop made since the last call still holds image data nobody disposed. */
export function expectNoImageDataLeaks(): void {
  for (const ps of made.splice(0)) {
    const live = [...ps.liveImageData].map((d) => `${d.width}×${d.height}×${d.components}`);
    if (live.length > 0) throw new Error(`undisposed Photoshop image data: ${live.join(', ')}`);
  }
}

export function setup(doc?: Partial<DocumentInit>, version?: string) {
  const ps = new MockPhotoshop();
  made.push(ps);
  const host = new PhotoshopHost(ps.module, mockUxp(version));
  const document = doc === undefined ? null : ps.open({ width: 1200, height: 900, layers: [{ name: 'Background', isBackground: true, fill: gradient }], ...doc });
  return { ps, host, document };
}

/** A result image the size of the transfer, with a recognisable pattern. */
export function fakeResult(width: number, height: number, channels: 3 | 4 = 4): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0, p = 0; p < width * height; p++, i += channels) {
    data[i] = (p * 7) % 251;
    data[i + 1] = (p * 13) % 241;
    data[i + 2] = 200;
    if (channels === 4) data[i + 3] = 255;
  }
  return { width, height, channels, data };
}

/** Fast byte equality for large buffers (toEqual on typed arrays is slow); reports the first difference. */
export function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return `at ${i}: ${actual[i]} ≠ ${expected[i]}`;
  return null;
}
