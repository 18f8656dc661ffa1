import type { RawPixelsInfo } from '../core/protocol';

/** Tightly packed 8-bit interleaved pixels (gray, RGB or RGBA): what the host reads and the service exchanges. */
export interface RawImage extends RawPixelsInfo {
  data: Uint8Array;
}
