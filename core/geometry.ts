/**
 * Region math shared by the panel and the service: the context-crop rule, the SDXL working-size buckets and the
 * transfer size for large crops. Integer document pixels throughout; rectangles are half-open [x, x+width).
 */

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

/**
 * SDXL training buckets (width × height), about one megapixel each. The working size is the bucket nearest in
 * aspect to the crop, so nothing is squashed (diffusers would resize every input to 1024×1024).
 */
export const SDXL_BUCKETS: readonly Size[] = [
  { width: 1024, height: 1024 },
  { width: 1152, height: 896 },
  { width: 896, height: 1152 },
  { width: 1216, height: 832 },
  { width: 832, height: 1216 },
  { width: 1344, height: 768 },
  { width: 768, height: 1344 },
  { width: 1536, height: 640 },
  { width: 640, height: 1536 },
];

/** The context around a selection that the model sees, as a fraction of the selection's longer side. */
export const CONTEXT_PADDING_FRACTION = 0.4;
/** At least this much context on every side (document permitting). */
export const MIN_CONTEXT_PADDING = 32;
/** Crops smaller than this on a side are grown (document permitting): tiny crops give the model no context. */
export const MIN_CROP_SIDE = 512;

export function rectRight(r: Rect): number {
  return r.x + r.width;
}

export function rectBottom(r: Rect): number {
  return r.y + r.height;
}

export function isEmptyRect(r: Rect): boolean {
  return r.width <= 0 || r.height <= 0;
}

export function intersectRect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const width = Math.max(0, Math.min(rectRight(a), rectRight(b)) - x);
  const height = Math.max(0, Math.min(rectBottom(a), rectBottom(b)) - y);
  return { x, y, width, height };
}

export function containsRect(outer: Rect, inner: Rect): boolean {
  return (
    inner.x >= outer.x && inner.y >= outer.y && rectRight(inner) <= rectRight(outer) && rectBottom(inner) <= rectBottom(outer)
  );
}

export function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** The bucket whose aspect ratio is nearest (in log space, so 2:1 and 1:2 are equally far from 1:1). */
export function pickWorkingSize(crop: Size, buckets: readonly Size[] = SDXL_BUCKETS): Size {
  const target = Math.log(crop.width / crop.height);
  let best = buckets[0];
  let bestDistance = Infinity;
  for (const bucket of buckets) {
    const distance = Math.abs(Math.log(bucket.width / bucket.height) - target);
    if (distance < bestDistance) {
      best = bucket;
      bestDistance = distance;
    }
  }
  return { ...best };
}

/** Grows a 1-D interval [start, start+length) symmetrically to `target`, then shifts/clamps it into [0, limit). */
function growInterval(start: number, length: number, target: number, limit: number): [number, number] {
  const grown = Math.min(Math.max(length, target), limit);
  let begin = start - Math.floor((grown - length) / 2);
  begin = Math.min(Math.max(begin, 0), limit - grown);
  return [begin, grown];
}

/**
 * The context-crop rule: selection bounds (clamped to the document) + padding, at least MIN_CROP_SIDE per side,
 * grown toward the aspect of the nearest working bucket, then shifted/clamped into the document; where a document edge
 * caps one side, the other grows to a reachable bucket aspect, or — past the widest bucket — loses padding. The
 * result always contains the clamped selection and lies inside the document.
 * Returns null when the selection does not touch the document.
 * `padding` (pixels per side) replaces the automatic padding and the minimum crop side: the user asked for exactly
 * that much context (core/capture-plan).
 */
export function contextCrop(selection: Rect, document: Size, padding?: number): Rect | null {
  const bounds = intersectRect(selection, { x: 0, y: 0, ...document });
  if (isEmptyRect(bounds)) return null;

  const side = padding ?? Math.max(MIN_CONTEXT_PADDING, Math.round(CONTEXT_PADDING_FRACTION * Math.max(bounds.width, bounds.height)));
  const minSide = padding === undefined ? MIN_CROP_SIDE : 0;
  let width = Math.max(bounds.width + 2 * side, minSide);
  let height = Math.max(bounds.height + 2 * side, minSide);

  const bucket = pickWorkingSize({ width, height });
  const bucketAspect = bucket.width / bucket.height;
  if (width / height > bucketAspect) height = Math.round(width / bucketAspect);
  else width = Math.round(height * bucketAspect);

  let [x, w] = growInterval(bounds.x, bounds.width, width, document.width);
  let [y, h] = growInterval(bounds.y, bounds.height, height, document.height);
  // A document edge cut one side short: grow the other side (never shrink it) toward the nearest bucket aspect that
  // growing it can still reach, so the resize to the working size squashes as little as the document allows.
  if (w < width && h < document.height) {
    const aspect = nearestBucketAspect(w / h, 'at most');
    if (aspect !== null) [y, h] = growInterval(bounds.y, bounds.height, Math.max(h, Math.round(w / aspect)), document.height);
  } else if (h < height && w < document.width) {
    const aspect = nearestBucketAspect(w / h, 'at least');
    if (aspect !== null) [x, w] = growInterval(bounds.x, bounds.width, Math.max(w, Math.round(h * aspect)), document.width);
  }
  // Past the most extreme bucket the resize would squash the picture: trim padding off the long side toward that
  // bucket's aspect (never into the selection), trading side context for undistorted content.
  if (w / h > MAX_BUCKET_ASPECT) [x, w] = growInterval(bounds.x, bounds.width, Math.round(h * MAX_BUCKET_ASPECT), document.width);
  else if (w / h < 1 / MAX_BUCKET_ASPECT) [y, h] = growInterval(bounds.y, bounds.height, Math.round(w * MAX_BUCKET_ASPECT), document.height);
  return { x, y, width: w, height: h };
}

/** The widest bucket's aspect (1536×640); the buckets are symmetric, so the tallest is its inverse. */
const MAX_BUCKET_ASPECT = Math.max(...SDXL_BUCKETS.map((b) => b.width / b.height));

/** The bucket aspect nearest to `aspect` (log space) on one side of it, or null when no bucket lies on that side. */
function nearestBucketAspect(aspect: number, side: 'at most' | 'at least'): number | null {
  let best: number | null = null;
  for (const bucket of SDXL_BUCKETS) {
    const candidate = bucket.width / bucket.height;
    const reachable = side === 'at most' ? candidate <= aspect : candidate >= aspect;
    if (reachable && (best === null || Math.abs(Math.log(candidate / aspect)) < Math.abs(Math.log(best / aspect)))) best = candidate;
  }
  return best;
}

/**
 * The size to transfer a crop at: the crop itself, or — when it has more than `maxPixels` — the largest size with
 * the same aspect that fits, so Photoshop downscales before the bytes cross the wire.
 */
export function transferSize(crop: Size, maxPixels: number): Size {
  const pixels = crop.width * crop.height;
  if (pixels <= maxPixels) return { width: crop.width, height: crop.height };
  const scale = Math.sqrt(maxPixels / pixels);
  return {
    width: Math.max(1, Math.floor(crop.width * scale)),
    height: Math.max(1, Math.floor(crop.height * scale)),
  };
}

/** Transfers larger than four working buckets gain nothing: the model sees ~1 MP. */
export const MAX_TRANSFER_PIXELS = 2048 * 2048;

/**
 * Problems with a client's crop placement, in words (empty = consistent): crop inside the document, selection
 * touching the crop, image aspect equal to the crop's (up to the rounding of a downscale).
 */
export function placementProblems(
  placement: { document: Size; crop: Rect; selection: Rect },
  image: Size,
): string[] {
  const { document, crop, selection } = placement;
  const problems: string[] = [];
  const docRect: Rect = { x: 0, y: 0, ...document };
  if (isEmptyRect(crop)) problems.push('the crop is empty');
  if (!containsRect(docRect, crop)) problems.push('the crop extends outside the document');
  const clamped = intersectRect(selection, docRect);
  if (isEmptyRect(clamped)) problems.push('the selection does not touch the document');
  else if (!containsRect(crop, clamped)) problems.push('the crop does not contain the selection');
  if (image.width > crop.width || image.height > crop.height) problems.push('the image is larger than the crop');
  // A downscale rounds each side down, so the aspects can differ by at most one pixel's worth.
  const expectedHeight = (crop.height * image.width) / crop.width;
  if (Math.abs(expectedHeight - image.height) > 1 + crop.height / crop.width) {
    problems.push(`the image aspect (${image.width}×${image.height}) differs from the crop's (${crop.width}×${crop.height})`);
  }
  return problems;
}
