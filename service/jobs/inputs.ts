/**
 * Turns the uploaded `image` and `mask` parts into validated pixels: raw or encoded (sniffed by magic bytes), within
 * the size limits, the same size, a mask that selects something, and a placement that agrees with the crop rule.
 * Raw parts are only checked (their bytes become the pixels); encoded ones go to a decoder — sharp in this thread by
 * default (the CLI), the decode worker for HTTP requests (worker/decode-host.ts), so that thread decodes and copies
 * nothing.
 */
import { planCrop } from '../../core/capture-plan';
import { clip, GenfillError } from '../../core/errors';
import { placementProblems, sameRect, type Size } from '../../core/geometry';
import { INPUT_LIMITS } from '../../core/params';
import type { CropPlacement, RawPixelsInfo } from '../../core/protocol';
import { decodeColorImage, decodeGrayImage, readImageInfo } from '../imaging/codec';
import { isAllZero, type Pixels } from '../imaging/pixels';
import { sniffImageFormat } from '../imaging/sniff';
import type { ResolvedParams } from './params';

export interface UploadedPart {
  bytes: Uint8Array;
  /**
   * The part's Content-Type as sent, if any. `image/*` means encoded and `application/octet-stream` raw; anything
   * else (UXP's FormData may send none, and always `filename="blob"`) leaves it to the declared size and the bytes.
   */
  contentType: string | undefined;
}

export interface CropInputs {
  /** RGB or RGBA. */
  image: Pixels;
  /** Gray, same size as the image. */
  mask: Pixels;
  /** Non-fatal remarks (placement differs from the crop rule). */
  warnings: string[];
}

/** A part that holds pixels. */
export type PixelRole = 'image' | 'mask';

/**
 * Decodes an encoded part into pixels or throws the GenfillError that explains why it cannot (415, 413 from the
 * header's size, 400 for undecodable data).
 */
export type EncodedPartDecoder = (role: PixelRole, part: UploadedPart) => Promise<Pixels>;

const RAW_TYPE = 'application/octet-stream';
const ROLE_CHANNELS: Record<PixelRole, readonly number[]> = { image: [3, 4], mask: [1] };

function checkSizeLimits(role: PixelRole, size: Size, origin: string): void {
  const side = Math.max(size.width, size.height);
  if (side > INPUT_LIMITS.maxSide || size.width * size.height > INPUT_LIMITS.maxPixels) {
    throw new GenfillError(
      'payload_too_large',
      `${role}: ${size.width}×${size.height} (${origin}) exceeds the limit of ${INPUT_LIMITS.maxSide} pixels a side and ` +
        `${INPUT_LIMITS.maxPixels} pixels in all; downscale the crop before sending it`,
      role,
    );
  }
}

/** The byte size of a raw part that `params` declares; throws 400/413 when the declaration itself is out of bounds. */
export function declaredRawBytes(role: PixelRole, info: RawPixelsInfo): number {
  if (!ROLE_CHANNELS[role].includes(info.channels)) {
    throw new GenfillError('invalid_params', `params.${role}.channels: a raw ${role} must have ${ROLE_CHANNELS[role].join(' or ')} channels, got ${info.channels}`, `params.${role}.channels`);
  }
  checkSizeLimits(role, info, `declared in params.${role}`);
  return info.width * info.height * info.channels;
}

function rawPixels(role: PixelRole, part: UploadedPart, info: RawPixelsInfo): Pixels {
  const expected = declaredRawBytes(role, info);
  if (part.bytes.length !== expected) {
    throw new GenfillError(
      'bad_request',
      `${role}: the raw part has ${part.bytes.length} bytes, but params.${role} declares ${info.width}×${info.height}×${info.channels} = ${expected}`,
      role,
    );
  }
  return { width: info.width, height: info.height, channels: info.channels, data: part.bytes };
}

/** The EncodedPartDecoder of this thread: the header is read and checked first, then the pixels are decoded. */
export async function decodeEncodedPart(role: PixelRole, part: UploadedPart): Promise<Pixels> {
  const info = await readImageInfo(part.bytes).catch(() => null);
  if (!info) {
    const raw = part.contentType?.startsWith(RAW_TYPE);
    throw new GenfillError(
      raw ? 'invalid_params' : 'unsupported_format',
      raw
        ? `params.${role}: required to describe the raw (application/octet-stream) ${role} part`
        : `${role}: not a PNG, JPEG or WebP image (content-type ${clip(part.contentType ?? 'none', 80)}); send one of those, or raw pixels described in params.${role}`,
      raw ? `params.${role}` : role,
    );
  }
  checkSizeLimits(role, info, `${info.format} header`);
  try {
    return role === 'image' ? await decodeColorImage(part.bytes) : await decodeGrayImage(part.bytes);
  } catch (error) {
    throw new GenfillError('bad_request', `${role}: the ${info.format} data cannot be decoded (${(error as Error).message})`, role);
  }
}

/**
 * Raw or encoded, decided by what the client can be relied on to send: a part typed `image/*` is encoded; otherwise,
 * with a raw size declared in params, the part is raw when typed `application/octet-stream`, when its bytes are no
 * PNG/JPEG/WebP, or when its length is exactly the declared size. The part's filename is never looked at.
 */
function isRawPart(part: UploadedPart, info: RawPixelsInfo | undefined): info is RawPixelsInfo {
  if (!info || part.contentType?.startsWith('image/')) return false;
  if (part.contentType?.startsWith(RAW_TYPE) || sniffImageFormat(part.bytes) === null) return true;
  return part.bytes.length === info.width * info.height * info.channels;
}

async function decodePart(role: PixelRole, part: UploadedPart, info: RawPixelsInfo | undefined, decodeEncoded: EncodedPartDecoder): Promise<Pixels> {
  if (part.bytes.length === 0) throw new GenfillError('bad_request', `${role}: the part is empty`, role);
  return isRawPart(part, info) ? rawPixels(role, part, info) : decodeEncoded(role, part);
}

/** Re-checks the client's placement; throws on contradictions, returns a warning when only the crop rule differs. */
export function checkPlacement(placement: CropPlacement, image: Size): string[] {
  const problems = placementProblems(placement, image);
  if (problems.length > 0) {
    throw new GenfillError('placement_mismatch', `params.placement: ${problems.join('; ')}`, 'params.placement');
  }
  const expected = planCrop(placement.selection, placement.document, placement.contextPadding ?? 'auto');
  if (expected && !sameRect(expected, placement.crop)) {
    const { x, y, width, height } = expected;
    return [`the crop differs from the context-crop rule (expected ${width}×${height} at ${x},${y}); results may have less context`];
  }
  return [];
}

export async function decodeCropInputs(
  image: UploadedPart,
  mask: UploadedPart,
  params: ResolvedParams,
  decodeEncoded: EncodedPartDecoder = decodeEncodedPart,
): Promise<CropInputs> {
  const [imagePixels, maskPixels] = await Promise.all([
    decodePart('image', image, params.image, decodeEncoded),
    decodePart('mask', mask, params.mask, decodeEncoded),
  ]);
  if (imagePixels.width !== maskPixels.width || imagePixels.height !== maskPixels.height) {
    throw new GenfillError(
      'size_mismatch',
      `mask: ${maskPixels.width}×${maskPixels.height} differs from the image's ${imagePixels.width}×${imagePixels.height}; send both at the same size`,
      'mask',
    );
  }
  if (isAllZero(maskPixels.data)) {
    throw new GenfillError('empty_mask', 'mask: every pixel is 0, so there is nothing to fill; select an area first', 'mask');
  }
  const warnings = params.placement ? checkPlacement(params.placement, imagePixels) : [];
  return { image: imagePixels, mask: maskPixels, warnings };
}
