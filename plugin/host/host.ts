/**
 * The panel's view of the image editor. Photoshop implements it (photoshop-host.ts); tests drive that
 * implementation through mocked `photoshop`/`uxp` modules. State code holds only this interface.
 */
import type { CapturePlan } from '../../core/capture-plan';
import type { Rect, Size } from '../../core/geometry';
import type { RawImage } from '../raw-image';

export type { RawImage };

export type PixelSource = 'composite' | 'layer';

export interface DocumentSummary {
  id: number;
  title: string;
  width: number;
  height: number;
  hasSelection: boolean;
}

/** The capture policy's answer for what Photoshop reports (core/capture-plan.planCapture with the user's settings). */
export type CapturePlanner = (document: Size, selection: Rect) => CapturePlan | null;

/**
 * Everything read at Generate, so the insert never depends on what the user does while the job runs. `image` and
 * `mask` are at `plan.transfer` size: what is sent, and what the layer and its mask are made of.
 */
export interface Capture {
  documentId: number;
  documentTitle: string;
  plan: CapturePlan;
  image: RawImage;
  mask: RawImage;
}

/** What an insert needs of a capture: where and into which document, and the mask — not the pixels sent. */
export type InsertTarget = Omit<Capture, 'image'>;

export interface InsertRequest {
  capture: InsertTarget;
  /** A result at transfer size, RGB or RGBA. */
  image: RawImage;
  layerName: string;
}

export type RefusalReason =
  | 'no_document'
  | 'no_selection'
  | 'selection_outside'
  | 'unsupported_mode'
  | 'unsupported_depth'
  | 'no_active_layer'
  | 'layer_not_pixels'
  | 'document_closed'
  | 'document_switched'
  | 'photoshop_busy'
  | 'unsupported_version'
  | 'insert_failed'
  | 'read_failed';

/** A refusal or failure to show the user as is: `message` is written for a Photoshop user. */
export class HostRefusal extends Error {
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = 'HostRefusal';
    this.reason = reason;
  }
}

export interface Host {
  /** The active document, or null when none is open. */
  activeDocument(): DocumentSummary | null;
  /**
   * Reads what `plan` decides for the document and selection it sees (crop, transfer size); throws HostRefusal when
   * the document can't be used.
   */
  capture(source: PixelSource, plan: CapturePlanner): Promise<Capture>;
  /**
   * Adds one masked pixel layer above the active layer, as one undo step; on any failure the document is left as it
   * was and a HostRefusal is thrown.
   */
  insert(request: InsertRequest): Promise<void>;
  /** Calls `listener` when the active document may have changed; returns the unsubscribe function. */
  watchDocument(listener: () => void): () => void;
  /** An `<img src>` for a PNG/JPEG; release it with releaseImageUrl. */
  imageUrl(encoded: Uint8Array, mimeType: string): string;
  releaseImageUrl(url: string): void;
}
