// The `uxp` module types are ambient; referenced here so every tsconfig that compiles this file (tests too) sees them.
/// <reference types="@adobe/cc-ext-uxp-types" />
/**
 * The Host on Photoshop: the only file that touches the `photoshop` and `uxp` modules. They come in through the
 * constructor (index.tsx passes the real modules, which webpack turns into UXP's `require('photoshop')`/
 * `require('uxp')`; tests pass mocks), typed as the narrow slices of @types/photoshop this file uses: index.tsx
 * only compiles if the real modules fit them.
 *
 * It holds no capture policy: it reads what a capture plan (core/capture-plan) decides for the document and
 * selection it sees, and writes at the plan's places. Reads and writes each run in their own short modal scope;
 * nothing is modal while the service works.
 */
import type * as RealPhotoshop from 'photoshop';
import type { action, core } from 'photoshop';
import type * as constants from 'photoshop/dom/Constants';
import type { imaging } from 'photoshop/dom/ImagingModule';
import type { host as uxpHost } from 'uxp';
import { isEmptyRect, intersectRect } from '../../core/geometry';
import type { Rect, Size } from '../../core/geometry';
import { countMasked } from '../../core/mask';
import { HostRefusal } from './host';
import type { Capture, CapturePlanner, DocumentSummary, Host, InsertRequest, InsertTarget, PixelSource, RawImage } from './host';
import { placeTrimmed, toPhotoshop16, toRgba, toUint8 } from './pixels';

type PsBounds = imaging.Bounds;

export interface PsLayer {
  readonly id: number;
  readonly kind: constants.LayerKind;
  readonly boundsNoEffects: PsBounds;
  move(relativeObject: PsLayer, insertLocation: constants.ElementPlacement): void;
  scale(width: number, height: number, anchor?: constants.AnchorPosition, options?: { interpolation?: constants.InterpolationMethod }): Promise<void>;
  translate(horizontal: number, vertical: number): Promise<void>;
  delete(): void;
}

export interface PsDocument {
  readonly id: number;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly mode: constants.DocumentMode;
  readonly bitsPerChannel: constants.BitsPerChannelType;
  readonly selection: { readonly bounds: PsBounds | null };
  readonly activeLayers: readonly PsLayer[];
  createPixelLayer(options?: { name?: string }): Promise<PsLayer | null>;
}

export interface PhotoshopModule {
  app: { readonly activeDocument: PsDocument | null; readonly documents: readonly PsDocument[]; getColorProfiles(colorMode?: string): string[] };
  core: Pick<typeof core, 'executeAsModal'>;
  action: Pick<typeof action, 'addNotificationListener' | 'removeNotificationListener'>;
  imaging: Pick<typeof RealPhotoshop.imaging, 'getPixels' | 'getSelection' | 'putPixels' | 'putLayerMask' | 'createImageDataFromBuffer'>;
  constants: Pick<typeof RealPhotoshop.constants, 'DocumentMode' | 'BitsPerChannelType' | 'LayerKind' | 'ElementPlacement' | 'AnchorPosition' | 'InterpolationMethod'>;
}

export interface UxpModule {
  host: Pick<typeof uxpHost, 'version'>;
}

/** Imaging API + FormData-with-Blob in fetch (UXP 7.3) + Selection class. */
export const MIN_PHOTOSHOP_VERSION = [25, 2] as const;
/** The model works in sRGB; Photoshop converts to/from the document profile. */
const RGB_PROFILE = 'sRGB IEC61966-2.1';
/**
 * The profile Adobe's docs give mask data. It is an installed profile, not a built-in, so it is named only when
 * Photoshop lists it; otherwise the mask goes without a profile (a mask is a channel: nothing to convert).
 */
const GRAY_PROFILE = 'Gray Gamma 2.2';
/** Photoshop's notifications after which the active document or its selection may differ. */
const DOCUMENT_EVENTS = ['select', 'open', 'close', 'make', 'set'];

export class PhotoshopHost implements Host {
  readonly #ps: PhotoshopModule;
  readonly #uxp: UxpModule;
  #grayProfile: string | null | undefined;

  constructor(photoshop: PhotoshopModule, uxp: UxpModule) {
    this.#ps = photoshop;
    this.#uxp = uxp;
  }

  activeDocument(): DocumentSummary | null {
    const doc = this.#currentDocument();
    if (!doc) return null;
    return { id: doc.id, title: doc.title, width: doc.width, height: doc.height, hasSelection: doc.selection.bounds !== null };
  }

  async capture(source: PixelSource, plan: CapturePlanner): Promise<Capture> {
    this.#checkVersion();
    return this.#modal('Read selection for Generative Fill', 'read_failed', () => this.#read(source, plan));
  }

  async insert(request: InsertRequest): Promise<void> {
    await this.#modal('Generative Fill', 'insert_failed', (context) => this.#write(request, context));
  }

  watchDocument(listener: () => void): () => void {
    const notifier = () => listener();
    const { action } = this.#ps;
    void action.addNotificationListener(DOCUMENT_EVENTS, notifier).catch(() => undefined);
    return () => void action.removeNotificationListener(DOCUMENT_EVENTS, notifier).catch(() => undefined);
  }

  imageUrl(encoded: Uint8Array, mimeType: string): string {
    // UXP renders <img> from ImageBlob (UXP 7.0); a plain Blob elsewhere.
    const ImageBlob = (globalThis as { ImageBlob?: new (data: ArrayBuffer, options: { type: string }) => Blob }).ImageBlob;
    const bytes = encoded.slice().buffer;
    const blob = ImageBlob ? new ImageBlob(bytes, { type: mimeType }) : new Blob([bytes], { type: mimeType });
    return URL.createObjectURL(blob);
  }

  releaseImageUrl(url: string): void {
    URL.revokeObjectURL(url);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reading

  async #read(source: PixelSource, planner: CapturePlanner): Promise<Capture> {
    const doc = this.#currentDocument();
    if (!doc) throw new HostRefusal('no_document', 'Open an image first: there is no document to fill.');
    this.#checkDocument(doc);

    const bounds = doc.selection.bounds;
    if (!bounds) {
      throw new HostRefusal('no_selection', 'Make a selection first (for example with the Lasso or Marquee tool): Generative Fill fills the selected area.');
    }
    const plan = planner({ width: doc.width, height: doc.height }, rectOf(bounds));
    if (!plan) {
      throw new HostRefusal('selection_outside', 'The selection is outside the canvas. Select an area inside the image.');
    }
    const { crop, transfer } = plan;
    const target = sameSize(transfer, crop) ? null : transfer;
    const layer = source === 'layer' ? this.#sourceLayer(doc) : null;

    // Read once, at the size sent: the layer mask is made from it too, so no full-size (or 16-bit) copy is held.
    const mask = await this.#readSelection(doc.id, crop, target);
    if (countMasked(mask.data) === 0) {
      throw new HostRefusal('no_selection', 'The selection is empty (no pixel is selected). Make a selection and try again.');
    }
    const image = await this.#readPixels(doc.id, layer, crop, target);
    return { documentId: doc.id, documentTitle: doc.title, plan, image, mask };
  }

  #checkVersion(): void {
    const [major, minor] = String(this.#uxp.host.version).split('.').map(Number);
    const [needMajor, needMinor] = MIN_PHOTOSHOP_VERSION;
    if (major < needMajor || (major === needMajor && minor < needMinor)) {
      throw new HostRefusal('unsupported_version', `Generative Fill needs Photoshop ${needMajor}.${needMinor} or later (this is ${this.#uxp.host.version}). Update Photoshop.`);
    }
  }

  #checkDocument(doc: PsDocument): void {
    const { DocumentMode, BitsPerChannelType } = this.#ps.constants;
    if (doc.mode !== DocumentMode.RGB) {
      throw new HostRefusal('unsupported_mode', `“${doc.title}” is in ${modeName(doc.mode)} mode. Generative Fill works on RGB images: choose Image > Mode > RGB Color.`);
    }
    if (doc.bitsPerChannel === BitsPerChannelType.THIRTYTWO) {
      // 32-bit documents hold linear, unbounded HDR values that an 8-bit sRGB model can't round-trip.
      throw new HostRefusal('unsupported_depth', `“${doc.title}” is a 32-bit image. Choose Image > Mode > 16 Bits/Channel (or 8) to use Generative Fill.`);
    }
  }

  #sourceLayer(doc: PsDocument): PsLayer {
    const layers = doc.activeLayers;
    if (layers.length !== 1) {
      throw new HostRefusal('no_active_layer', 'Select exactly one layer in the Layers panel, or set Source to “Visible layers”.');
    }
    if (layers[0].kind !== this.#ps.constants.LayerKind.NORMAL) {
      throw new HostRefusal('layer_not_pixels', 'The active layer is not a pixel layer (it is a text, shape, adjustment, smart object or group layer). Rasterize it, or set Source to “Visible layers”.');
    }
    return layers[0];
  }

  /** The selection as 8-bit gray (255 = selected) over `crop`, at crop size or at `target` size. */
  async #readSelection(documentID: number, crop: Rect, target: Size | null): Promise<RawImage> {
    const selection = await this.#ps.imaging.getSelection({
      documentID,
      sourceBounds: boundsOf(crop),
      ...(target ? { targetSize: target } : {}),
    });
    const { imageData, sourceBounds } = selection;
    // getPixels says which pyramid level its bounds are in; getSelection's typings do not, but with targetSize it may
    // answer from a level too (undocumented), so honour one if it comes.
    const level = (selection as { level?: number }).level ?? 0;
    try {
      const data = toUint8(await imageData.getData({ chunky: true }));
      return placeTrimmed(data, imageData, 1, sourceBounds, level, crop, target ?? crop);
    } finally {
      await imageData.dispose();
    }
  }

  /** The composite (or one layer) over `crop` as 8-bit sRGB, transparent where Photoshop trimmed it. */
  async #readPixels(documentID: number, layer: PsLayer | null, crop: Rect, target: Size | null): Promise<RawImage> {
    const size = target ?? crop;
    if (layer && isEmptyRect(intersectRect(crop, rectOf(layer.boundsNoEffects)))) {
      // Nothing of the layer lies in the crop; Photoshop's behaviour for empty reads is undocumented.
      return { ...size, channels: 4, data: new Uint8Array(size.width * size.height * 4) };
    }
    const { imageData, sourceBounds, level } = await this.#ps.imaging.getPixels({
      documentID,
      ...(layer ? { layerID: layer.id } : {}),
      sourceBounds: boundsOf(crop),
      ...(target ? { targetSize: target } : {}),
      colorSpace: 'RGB',
      colorProfile: RGB_PROFILE,
      componentSize: 8,
      // Transparency goes to the service as alpha (a matte on white would read as white paint).
      applyAlpha: false,
    });
    try {
      const channels = imageData.components === 4 ? 4 : 3;
      if (imageData.components !== channels) {
        throw new HostRefusal('read_failed', `Photoshop returned ${imageData.components}-channel pixels; expected RGB or RGBA.`);
      }
      const data = toUint8(await imageData.getData({ chunky: true }));
      const placed = placeTrimmed(data, imageData, channels, sourceBounds, level, crop, size);
      // A trimmed RGB read leaves a zero border that must read as transparent, not black.
      return channels === 3 && !sameSize(imageData, size) ? { ...placed, channels: 4, data: toRgba(placed) } : placed;
    } finally {
      await imageData.dispose();
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writing

  async #write(request: InsertRequest, context: ExecutionContextLike): Promise<void> {
    const { capture } = request;
    const doc = this.#ps.app.documents.find((d) => d.id === capture.documentId);
    if (!doc) {
      throw new HostRefusal('document_closed', `“${capture.documentTitle}” was closed, so the result can't be inserted. Generate again in an open document.`);
    }
    if (this.#currentDocument()?.id !== doc.id) {
      throw new HostRefusal('document_switched', `This result belongs to “${capture.documentTitle}”. Switch back to that document to insert it.`);
    }
    // Mode or depth may have changed since Generate (Image > Mode): refuse in the same words as at Generate.
    this.#checkDocument(doc);
    const { document, transfer } = capture.plan;
    if (doc.width !== document.width || doc.height !== document.height) {
      throw new HostRefusal('insert_failed', `“${doc.title}” changed size since Generate (${document.width}×${document.height} → ${doc.width}×${doc.height}). Generate again.`);
    }
    const { image } = request;
    if (!sameSize(image, transfer)) {
      throw new HostRefusal('insert_failed', `The service returned a ${image.width}×${image.height} result for a ${transfer.width}×${transfer.height} request. Check that the service is up to date.`);
    }
    const sixteenBit = doc.bitsPerChannel === this.#ps.constants.BitsPerChannelType.SIXTEEN;
    const anchor = doc.activeLayers[0];
    const suspension = await context.hostControl.suspendHistory({ documentID: doc.id, name: `Generative Fill: ${request.layerName}` });
    let layer: PsLayer | null = null;
    try {
      layer = await doc.createPixelLayer({ name: request.layerName });
      if (!layer) throw new Error('Photoshop did not create the layer');
      if (anchor) layer.move(anchor, this.#ps.constants.ElementPlacement.PLACEBEFORE);
      await this.#putResult(doc.id, layer, image, capture, sixteenBit);
      await this.#putMask(doc.id, layer.id, capture, sixteenBit);
      await this.#scaleToCrop(layer, capture);
      await context.hostControl.resumeHistory(suspension, true);
    } catch (error) {
      await this.#rollBack(context, suspension, layer);
      throw error instanceof HostRefusal
        ? error
        : new HostRefusal('insert_failed', `The result could not be inserted, and the document was left unchanged. Photoshop said: ${messageOf(error)}`);
    }
  }

  async #putResult(documentID: number, layer: PsLayer, image: RawImage, capture: InsertTarget, sixteenBit: boolean): Promise<void> {
    const { crop } = capture.plan;
    const rgba = toRgba(image);
    const imageData = await this.#ps.imaging.createImageDataFromBuffer(sixteenBit ? toPhotoshop16(rgba) : rgba, {
      width: image.width,
      height: image.height,
      components: 4,
      chunky: true,
      colorSpace: 'RGB',
      colorProfile: RGB_PROFILE,
    });
    try {
      await this.#ps.imaging.putPixels({
        documentID,
        layerID: layer.id,
        imageData,
        replace: true,
        targetBounds: { left: crop.x, top: crop.y, width: image.width, height: image.height },
      });
    } finally {
      await imageData.dispose();
    }
  }

  /** The mask at transfer size, where the pixels are: a downscaled one is enlarged with them (the mask is linked). */
  async #putMask(documentID: number, layerID: number, capture: InsertTarget, sixteenBit: boolean): Promise<void> {
    const { mask, plan } = capture;
    const profile = this.#maskProfile();
    const imageData = await this.#ps.imaging.createImageDataFromBuffer(sixteenBit ? toPhotoshop16(mask.data) : mask.data, {
      width: mask.width,
      height: mask.height,
      components: 1,
      chunky: true,
      colorSpace: 'Grayscale',
      ...(profile ? { colorProfile: profile } : {}),
    });
    try {
      await this.#ps.imaging.putLayerMask({ documentID, layerID, imageData, replace: true, targetBounds: { left: plan.crop.x, top: plan.crop.y, width: mask.width, height: mask.height } });
    } finally {
      await imageData.dispose();
    }
  }

  /**
   * Downscaled transfer: Photoshop resamples the layer and its linked mask up to the crop (no per-pixel JS over a
   * large crop), with the interpolation meant for enlarging rather than the user's preference (which may be Nearest
   * Neighbor). Where scale() anchors (pixel bounds, maybe clipped by the mask) is not documented, so the layer is then
   * moved to where its content belongs: the same bounds read before and after, the content's corner scaled from the crop.
   */
  async #scaleToCrop(layer: PsLayer, capture: InsertTarget): Promise<void> {
    const { crop, transfer } = capture.plan;
    if (sameSize(transfer, crop)) return;
    const before = layer.boundsNoEffects;
    const sx = crop.width / transfer.width;
    const sy = crop.height / transfer.height;
    const { AnchorPosition, InterpolationMethod } = this.#ps.constants;
    await layer.scale(sx * 100, sy * 100, AnchorPosition.TOPLEFT, { interpolation: InterpolationMethod.BICUBICSMOOTHER });
    const after = layer.boundsNoEffects;
    const dx = Math.round(crop.x + (before.left - crop.x) * sx - after.left);
    const dy = Math.round(crop.y + (before.top - crop.y) * sy - after.top);
    if (dx !== 0 || dy !== 0) await layer.translate(dx, dy);
  }

  /** GRAY_PROFILE when Photoshop has it, else none; asked once (the installed profiles don't change while it runs). */
  #maskProfile(): string | null {
    if (this.#grayProfile === undefined) {
      let profiles: string[] = [];
      try {
        profiles = this.#ps.app.getColorProfiles('Gray');
      } catch {
        // Older hosts without getColorProfiles: no name is the safe choice.
      }
      this.#grayProfile = profiles.includes(GRAY_PROFILE) ? GRAY_PROFILE : null;
    }
    return this.#grayProfile;
  }

  async #rollBack(context: ExecutionContextLike, suspension: HistorySuspensionLike, layer: PsLayer | null): Promise<void> {
    try {
      await context.hostControl.resumeHistory(suspension, false);
    } catch {
      // Rolling back the history failed too: remove what we added so the document still ends up unchanged.
      try {
        layer?.delete();
      } catch {
        // Nothing more can be done; the original error is what the user needs to see.
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  #currentDocument(): PsDocument | null {
    const { app } = this.#ps;
    return app.documents.length === 0 ? null : (app.activeDocument ?? null);
  }

  /** Runs `body` in a modal scope; Photoshop's own errors become a `failure` refusal ("busy" one the user can act on). */
  async #modal<T>(commandName: string, failure: 'read_failed' | 'insert_failed', body: (context: ExecutionContextLike) => Promise<T>): Promise<T> {
    try {
      return await this.#ps.core.executeAsModal((context) => body(context), { commandName });
    } catch (error) {
      if (error instanceof HostRefusal) throw error;
      const message = messageOf(error);
      if (/modal state|modal command/i.test(message)) {
        throw new HostRefusal('photoshop_busy', 'Photoshop is busy (a dialog, a transform or another plugin is active). Finish it, then try again.');
      }
      throw new HostRefusal(failure, `${MODAL_FAILURES[failure]} Photoshop said: ${message}`);
    }
  }
}

const MODAL_FAILURES = {
  read_failed: 'Photoshop could not read the document.',
  insert_failed: 'The result could not be inserted.',
} as const;

type ExecutionContextLike = Parameters<Parameters<PhotoshopModule['core']['executeAsModal']>[0]>[0];
type HistorySuspensionLike = Awaited<ReturnType<ExecutionContextLike['hostControl']['suspendHistory']>>;

function rectOf(b: PsBounds): Rect {
  const x = Math.floor(b.left);
  const y = Math.floor(b.top);
  return { x, y, width: Math.ceil(b.right) - x, height: Math.ceil(b.bottom) - y };
}

function boundsOf(r: Rect): PsBounds {
  return { left: r.x, top: r.y, right: r.x + r.width, bottom: r.y + r.height };
}

function sameSize(a: Size, b: Size): boolean {
  return a.width === b.width && a.height === b.height;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const MODE_NAMES: Record<string, string> = {
  CMYKColorMode: 'CMYK',
  grayscaleMode: 'Grayscale',
  labColorMode: 'Lab',
  indexedColorMode: 'Indexed Color',
  bitmapMode: 'Bitmap',
  duotoneMode: 'Duotone',
  multichannelMode: 'Multichannel',
};

function modeName(mode: string): string {
  return MODE_NAMES[mode] ?? mode;
}

