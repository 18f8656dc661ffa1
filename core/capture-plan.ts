/**
 * The capture policy: from the document, the selection and the user's context settings to what is read and sent —
 * the crop, the size it travels at, and how the mask is grown and feathered. One pure function, so the Photoshop
 * adapter only reads and writes what a plan says, and the service checks a placement by the same rule.
 */
import { contextCrop, intersectRect, isEmptyRect, MAX_TRANSFER_PIXELS, transferSize } from './geometry';
import type { Rect, Size } from './geometry';
import type { NumericLimit } from './params';

/** Context around the selection: `auto` (the context-crop rule) or that many document pixels per side. */
export type ContextPadding = 'auto' | number;

/** The context controls (A1111's "only masked padding" and "mask blur", Krita's grow and feather), in document pixels. */
export interface CaptureSettings {
  contextPadding: ContextPadding;
  /** Grows the selection by this many pixels before it becomes the mask. */
  maskGrow: number;
  /** Softens the mask edge: a Gaussian of this standard deviation, as A1111's mask blur. */
  maskFeather: number;
}

export const CAPTURE_LIMITS = {
  contextPadding: { min: 0, max: 2048, default: 64, integer: true },
  maskGrow: { min: 0, max: 256, default: 0, integer: true },
  maskFeather: { min: 0, max: 256, default: 0, integer: true },
} as const satisfies Record<string, NumericLimit>;

export const DEFAULT_CAPTURE_SETTINGS: CaptureSettings = { contextPadding: 'auto', maskGrow: 0, maskFeather: 0 };

export interface CapturePlan {
  document: Size;
  /** The selection's bounds, clamped to the document. */
  selection: Rect;
  /** Where the adjusted mask can be non-zero: the selection grown by grow + feather reach, clamped. */
  maskBounds: Rect;
  /** What is read, in document pixels. */
  crop: Rect;
  /** What is sent: the crop, or smaller when it has more than the transfer limit (Photoshop downscales the reads). */
  transfer: Size;
  /** Mask adjustments in transfer pixels (document pixels × transfer/crop). */
  mask: { grow: number; feather: number };
  /** The explicit padding behind `crop`, or null for `auto` (sent with the placement so the service checks by it). */
  contextPadding: number | null;
}

/** How far a Gaussian feather of standard deviation `sigma` reaches before it is negligible (3σ, as image editors). */
export function featherReach(sigma: number): number {
  return Math.ceil(3 * sigma);
}

/** The crop for mask bounds: the context-crop rule, or exactly `padding` pixels of context per side. */
export function planCrop(maskBounds: Rect, document: Size, padding: ContextPadding): Rect | null {
  return contextCrop(maskBounds, document, padding === 'auto' ? undefined : padding);
}

/**
 * Plans a capture; null when the selection does not touch the document. Grow and feather widen the area the mask
 * covers, so the crop is planned around that area (a grown mask never runs off the crop's edge).
 */
export function planCapture(document: Size, selection: Rect, settings: CaptureSettings, maxTransferPixels: number = MAX_TRANSFER_PIXELS): CapturePlan | null {
  const docRect: Rect = { x: 0, y: 0, ...document };
  const clamped = intersectRect(selection, docRect);
  if (isEmptyRect(clamped)) return null;
  const reach = settings.maskGrow + featherReach(settings.maskFeather);
  const maskBounds = intersectRect({ x: clamped.x - reach, y: clamped.y - reach, width: clamped.width + 2 * reach, height: clamped.height + 2 * reach }, docRect);
  const crop = planCrop(maskBounds, document, settings.contextPadding);
  if (!crop) return null;
  const transfer = transferSize(crop, maxTransferPixels);
  const scale = transfer.width / crop.width;
  return {
    document: { ...document },
    selection: clamped,
    maskBounds,
    crop,
    transfer,
    mask: { grow: Math.round(settings.maskGrow * scale), feather: settings.maskFeather * scale },
    contextPadding: settings.contextPadding === 'auto' ? null : settings.contextPadding,
  };
}
