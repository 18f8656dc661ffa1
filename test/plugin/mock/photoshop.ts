/**
 * A simulated `photoshop` module, typed against @types/photoshop through PhotoshopModule, behaving as
 * /work/shared/reference/uxp-photoshop.md documents: imaging reads and writes throw outside executeAsModal with
 * Photoshop's message, getPixels/getSelection trim to the pixels that exist and report `sourceBounds`, 16-bit data is
 * 0..32768, putPixels only into pixel layers, suspendHistory/resumeHistory commit or roll back. (batchPlay is not
 * simulated: the host uses no batchPlay.) It also records what was asked of it (requested bounds), tracks undisposed image
 * data and can fail a chosen call once.
 *
 * Layers hold 8-bit RGBA in document coordinates (a raster) or a procedural fill (large documents cost nothing).
 */
import type * as PsConstants from 'photoshop/dom/Constants';
import type { imaging } from 'photoshop/dom/ImagingModule';
import type { PhotoshopModule, PsDocument, PsLayer } from '../../../plugin/host/photoshop-host';
import type { Rect, Size } from '../../../core/geometry';

type Bounds = imaging.Bounds;
type ImageDataShape = imaging.PhotoshopImageData;
type Notifier = Parameters<PhotoshopModule['action']['addNotificationListener']>[1];
type ExecutionContext = Parameters<Parameters<PhotoshopModule['core']['executeAsModal']>[0]>[0];

export const MODAL_ERROR = 'The requested functionality is only allowed from inside a modal scope.';

const constants = {
  DocumentMode: {
    BITMAP: 'bitmapMode',
    CMYK: 'CMYKColorMode',
    DUOTONE: 'duotoneMode',
    GRAYSCALE: 'grayscaleMode',
    INDEXEDCOLOR: 'indexedColorMode',
    LAB: 'labColorMode',
    MULTICHANNEL: 'multichannelMode',
    RGB: 'RGBColorMode',
  },
  BitsPerChannelType: { ONE: 'bitDepth1', EIGHT: 'bitDepth8', SIXTEEN: 'bitDepth16', THIRTYTWO: 'bitDepth32' },
  LayerKind: { NORMAL: 'pixel', GROUP: 'group', TEXT: 'text', SMARTOBJECT: 'smartObject', SOLIDFILL: 'solidColor' },
  ElementPlacement: { PLACEBEFORE: 'placeBefore', PLACEAFTER: 'placeAfter', PLACEATBEGINNING: 'placeAtBeginning', PLACEATEND: 'placeAtEnd', PLACEINSIDE: 'placeInside' },
  AnchorPosition: { TOPLEFT: 'top-left', MIDDLECENTER: 'middle-center' },
  InterpolationMethod: { AUTOMATIC: 'bicubicAutomatic', BICUBIC: 'bicubic', BICUBICSHARPER: 'bicubicSharper', BICUBICSMOOTHER: 'bicubicSmoother', BILINEAR: 'bilinear', NEARESTNEIGHBOR: 'nearestNeighbor' },
} as unknown as PhotoshopModule['constants'];

export type DocumentModeName = `${PsConstants.DocumentMode}`;
export type BitDepthName = `${PsConstants.BitsPerChannelType}`;
export type LayerKindName = `${PsConstants.LayerKind}`;

/** 8-bit gray or RGBA pixels at a document position. */
export interface Raster extends Rect {
  channels: 1 | 4;
  data: Uint8Array;
}

export type Fill = (x: number, y: number) => [number, number, number, number];

export interface LayerInit {
  name: string;
  kind?: LayerKindName;
  isBackground?: boolean;
  raster?: Raster;
  fill?: Fill;
  /** Where a `fill` layer has pixels (default: the whole document). */
  fillBounds?: Rect;
}

export interface DocumentInit {
  title?: string;
  width: number;
  height: number;
  mode?: DocumentModeName;
  bits?: BitDepthName;
  /** Bottom first. */
  layers: LayerInit[];
  /** A gray raster (255 = selected) whose rectangle may extend past the canvas, or a procedural one. */
  selection?: Raster | { rect: Rect; value: (x: number, y: number) => number } | null;
}

export type FailingCall = 'createPixelLayer' | 'putPixels' | 'putLayerMask' | 'scale' | 'resumeHistory';

export interface RecordedCall {
  method: 'getPixels' | 'getSelection' | 'putPixels' | 'putLayerMask';
  documentID: number | undefined;
  layerID?: number;
  sourceBounds?: Bounds;
  targetBounds?: { left: number; top: number };
  targetSize?: imaging.Size;
  componentSize?: number;
  /** What was asked for (reads) or what the image data carried (writes). */
  colorSpace?: string;
  colorProfile?: string;
  applyAlpha?: boolean;
}

let nextId = 1;

export class MockImageData implements ImageDataShape {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly componentSize: 8 | 16 | 32;
  readonly colorSpace: imaging.ColorSpace;
  readonly colorProfile: string;
  readonly hasAlpha: boolean;
  readonly pixelFormat: imaging.PixelFormat;
  readonly chunky = true;
  readonly type = 'image/uncompressed' as const;
  readonly #data: Uint8Array | Uint16Array | Float32Array;
  readonly #registry: Set<MockImageData>;
  disposed = false;

  constructor(registry: Set<MockImageData>, data: Uint8Array | Uint16Array | Float32Array, size: Size, components: number, colorSpace: imaging.ColorSpace, colorProfile: string) {
    if (data.length !== size.width * size.height * components) {
      throw new Error(`Invalid image data: ${data.length} values for ${size.width}×${size.height}×${components}`);
    }
    this.#data = data;
    this.width = size.width;
    this.height = size.height;
    this.components = components;
    this.componentSize = data instanceof Uint8Array ? 8 : data instanceof Uint16Array ? 16 : 32;
    this.colorSpace = colorSpace;
    this.colorProfile = colorProfile;
    this.hasAlpha = components === 2 || components === 4;
    this.pixelFormat = components === 1 ? 'Grayscale' : components === 3 ? 'RGB' : 'RGBA';
    this.#registry = registry;
    registry.add(this);
  }

  getData = async (options?: imaging.GetDataOptions): Promise<Uint8Array | Uint16Array | Float32Array> => {
    if (this.disposed) throw new Error('Image data was disposed');
    if (options?.chunky === false) throw new Error('mock: planar data is not simulated');
    return this.#data.slice();
  };

  dispose = async (): Promise<void> => {
    this.disposed = true;
    this.#registry.delete(this);
  };

  /** Test access without the async API. */
  raw(): Uint8Array | Uint16Array | Float32Array {
    return this.#data;
  }
}

export class MockLayer implements PsLayer {
  readonly id = nextId++;
  name: string;
  kind: PsConstants.LayerKind;
  isBackgroundLayer: boolean;
  raster: Raster | null;
  fill: Fill | null;
  fillBounds: Rect | null;
  mask: Raster | null = null;
  readonly #ps: MockPhotoshop;
  readonly #doc: MockDocument;

  constructor(ps: MockPhotoshop, doc: MockDocument, init: LayerInit) {
    this.#ps = ps;
    this.#doc = doc;
    this.name = init.name;
    this.kind = (init.kind ?? 'pixel') as PsConstants.LayerKind;
    this.isBackgroundLayer = init.isBackground ?? false;
    this.raster = init.raster ?? null;
    this.fill = init.fill ?? null;
    this.fillBounds = init.fillBounds ?? null;
  }

  get boundsNoEffects(): Bounds {
    if (this.fill) {
      const b = this.fillBounds ?? { x: 0, y: 0, width: this.#doc.width, height: this.#doc.height };
      return { left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height };
    }
    const r = this.raster;
    if (!r) return { left: 0, top: 0, right: 0, bottom: 0 };
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) {
        if (r.data[(y * r.width + x) * 4 + 3] === 0) continue;
        left = Math.min(left, x); right = Math.max(right, x + 1);
        top = Math.min(top, y); bottom = Math.max(bottom, y + 1);
      }
    }
    if (left === Infinity) return { left: 0, top: 0, right: 0, bottom: 0 };
    return { left: r.x + left, top: r.y + top, right: r.x + right, bottom: r.y + bottom };
  }

  /** 8-bit RGBA at a document pixel, before the mask. */
  sample(x: number, y: number): [number, number, number, number] {
    if (this.fill) {
      const b = this.fillBounds;
      return !b || (x >= b.x && y >= b.y && x < b.x + b.width && y < b.y + b.height) ? this.fill(x, y) : [0, 0, 0, 0];
    }
    const r = this.raster;
    if (!r || x < r.x || y < r.y || x >= r.x + r.width || y >= r.y + r.height) return [0, 0, 0, 0];
    const i = ((y - r.y) * r.width + (x - r.x)) * 4;
    return [r.data[i], r.data[i + 1], r.data[i + 2], r.data[i + 3]];
  }

  move(relativeObject: PsLayer, insertLocation: PsConstants.ElementPlacement): void {
    this.#ps.requireModal('move');
    const layers = this.#doc.layers;
    layers.splice(layers.indexOf(this), 1);
    const at = layers.findIndex((l) => l.id === relativeObject.id);
    if (at < 0) throw new Error('mock: relative layer not found');
    if (insertLocation !== 'placeBefore') throw new Error(`mock: placement ${insertLocation} not simulated`);
    layers.splice(at + 1, 0, this); // layers are bottom first: "before" = above
    this.#doc.changed('Move');
  }

  async scale(width: number, height: number, anchor?: PsConstants.AnchorPosition, options?: { interpolation?: PsConstants.InterpolationMethod }): Promise<void> {
    this.#ps.requireModal('transform');
    this.#ps.maybeFail('scale');
    this.#ps.transforms.push({ layerID: this.id, width, height, anchor, interpolation: options?.interpolation });
    if (anchor !== 'top-left') throw new Error(`mock: anchor ${anchor} not simulated`);
    const b = this.boundsNoEffects;
    const src = this.raster;
    if (!src) return;
    const sx = width / 100, sy = height / 100;
    this.raster = { ...resample(src, b, Math.round((b.right - b.left) * sx), Math.round((b.bottom - b.top) * sy)), x: b.left, y: b.top };
    // A layer mask is linked: it scales with the pixels, about the same anchor.
    const m = this.mask;
    if (m) {
      const whole = { left: m.x, top: m.y, right: m.x + m.width, bottom: m.y + m.height };
      const scaled = resample(m, whole, Math.round(m.width * sx), Math.round(m.height * sy));
      this.mask = { ...scaled, x: b.left + Math.round((m.x - b.left) * sx), y: b.top + Math.round((m.y - b.top) * sy) };
    }
    this.#doc.changed('Scale');
  }

  async translate(horizontal: number, vertical: number): Promise<void> {
    this.#ps.requireModal('move');
    if (this.raster) this.raster = { ...this.raster, x: this.raster.x + horizontal, y: this.raster.y + vertical };
    if (this.mask) this.mask = { ...this.mask, x: this.mask.x + horizontal, y: this.mask.y + vertical };
    this.#doc.changed('Move');
  }

  delete(): void {
    this.#ps.requireModal('delete');
    const layers = this.#doc.layers;
    layers.splice(layers.indexOf(this), 1);
    this.#doc.changed('Delete Layer');
  }

  snapshot(): object {
    return { id: this.id, name: this.name, kind: this.kind, raster: cloneRaster(this.raster), mask: cloneRaster(this.mask), fill: this.fill };
  }

  restore(s: ReturnType<MockLayer['snapshot']>): void {
    const snap = s as { name: string; raster: Raster | null; mask: Raster | null };
    this.name = snap.name;
    this.raster = cloneRaster(snap.raster);
    this.mask = cloneRaster(snap.mask);
  }
}

export class MockDocument implements PsDocument {
  readonly id = nextId++;
  title: string;
  width: number;
  height: number;
  mode: PsConstants.DocumentMode;
  bitsPerChannel: PsConstants.BitsPerChannelType;
  /** Bottom first. */
  layers: MockLayer[];
  activeLayerIds: number[];
  selectionData: DocumentInit['selection'];
  /** History state names, oldest first. */
  readonly history: string[] = ['Open'];
  #suspended: { name: string; dirty: boolean; snapshot: DocumentSnapshot } | null = null;
  readonly #ps: MockPhotoshop;

  constructor(ps: MockPhotoshop, init: DocumentInit) {
    this.#ps = ps;
    this.title = init.title ?? `Untitled-${this.id}`;
    this.width = init.width;
    this.height = init.height;
    this.mode = (init.mode ?? 'RGBColorMode') as PsConstants.DocumentMode;
    this.bitsPerChannel = (init.bits ?? 'bitDepth8') as PsConstants.BitsPerChannelType;
    this.layers = init.layers.map((l) => new MockLayer(ps, this, l));
    this.activeLayerIds = this.layers.length > 0 ? [this.layers[this.layers.length - 1].id] : [];
    this.selectionData = init.selection ?? null;
  }

  get activeLayers(): MockLayer[] {
    return this.layers.filter((l) => this.activeLayerIds.includes(l.id));
  }

  get selection(): { bounds: Bounds | null } {
    const s = this.selectionData;
    if (!s) return { bounds: null };
    const r = 'rect' in s ? s.rect : s;
    return { bounds: { left: r.x, top: r.y, right: r.x + r.width, bottom: r.y + r.height } };
  }

  /** Selection value 0..255 at a document pixel. */
  selectionAt(x: number, y: number): number {
    const s = this.selectionData;
    if (!s) return 0;
    if ('rect' in s) {
      const r = s.rect;
      return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height ? s.value(x, y) : 0;
    }
    if (x < s.x || y < s.y || x >= s.x + s.width || y >= s.y + s.height) return 0;
    return s.data[(y - s.y) * s.width + (x - s.x)];
  }

  async createPixelLayer(options?: { name?: string }): Promise<MockLayer | null> {
    this.#ps.requireModal('make');
    this.#ps.maybeFail('createPixelLayer');
    const layer = new MockLayer(this.#ps, this, { name: options?.name ?? `Layer ${this.layers.length}` });
    const active = this.activeLayers[0];
    this.layers.splice(active ? this.layers.indexOf(active) + 1 : this.layers.length, 0, layer);
    this.activeLayerIds = [layer.id];
    this.changed('New Layer');
    return layer;
  }

  layerById(id: number): MockLayer {
    const layer = this.layers.find((l) => l.id === id);
    if (!layer) throw new Error(`Could not find a layer with ID ${id}`);
    return layer;
  }

  /** A mutation: one history state, or part of the suspended one. */
  changed(step: string): void {
    if (this.#suspended) this.#suspended.dirty = true;
    else this.history.push(step);
  }

  suspend(name: string): void {
    if (this.#suspended) throw new Error('mock: history already suspended');
    this.#suspended = { name, dirty: false, snapshot: this.snapshot() };
  }

  resume(commit: boolean, finalName?: string): void {
    const s = this.#suspended;
    if (!s) throw new Error('History is not suspended');
    this.#suspended = null;
    if (!commit) this.restore(s.snapshot);
    else if (s.dirty) this.history.push(finalName ?? s.name);
  }

  get isSuspended(): boolean {
    return this.#suspended !== null;
  }

  snapshot(): DocumentSnapshot {
    return { layers: this.layers.map((l) => ({ layer: l, state: l.snapshot() })), active: [...this.activeLayerIds] };
  }

  restore(s: DocumentSnapshot): void {
    this.layers = s.layers.map(({ layer, state }) => {
      layer.restore(state);
      return layer;
    });
    this.activeLayerIds = [...s.active];
  }

  /** A stable description of the whole document, to assert "unchanged". */
  fingerprint(): string {
    const parts = this.layers.map((l) => `${l.id}:${l.name}:${l.kind}:${rasterHash(l.raster)}:${rasterHash(l.mask)}`);
    return `${this.width}x${this.height}|${parts.join('|')}|active=${this.activeLayerIds.join(',')}|history=${this.history.length}`;
  }
}

interface DocumentSnapshot {
  layers: { layer: MockLayer; state: object }[];
  active: number[];
}

export class MockPhotoshop {
  readonly documents: MockDocument[] = [];
  active: MockDocument | null = null;
  readonly calls: RecordedCall[] = [];
  readonly liveImageData = new Set<MockImageData>();
  /** Layer.scale calls, in order. */
  readonly transforms: { layerID: number; width: number; height: number; anchor?: string; interpolation?: string }[] = [];
  /** Another plugin (or a dialog) holds the modal scope: executeAsModal rejects as Photoshop does. */
  busy = false;
  /**
   * The gray profiles installed (app.getColorProfiles('Gray')); image data naming another is rejected. Gray Gamma 2.2
   * ships with Photoshop on most systems, but it is a file that can be missing.
   */
  grayProfiles: string[] = ['Dot Gain 20%', 'Gray Gamma 2.2'];
  #modalDepth = 0;
  #failures = new Map<FailingCall, Error>();
  #listeners: { events: string[]; notifier: Notifier }[] = [];
  readonly module: PhotoshopModule;

  constructor() {
    const app = {
      get activeDocument() {
        return self.active;
      },
      get documents() {
        return self.documents;
      },
      getColorProfiles: (colorMode?: string) => (colorMode === 'Gray' ? [...self.grayProfiles] : ['sRGB IEC61966-2.1', 'Adobe RGB (1998)']),
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.module = {
      app,
      core: { executeAsModal: (fn, options) => this.#executeAsModal(fn, options) },
      action: {
        addNotificationListener: async (events, notifier) => {
          this.#listeners.push({ events, notifier });
        },
        removeNotificationListener: async (_events, notifier) => {
          this.#listeners = this.#listeners.filter((l) => l.notifier !== notifier);
        },
      },
      imaging: {
        getPixels: (options) => this.#getPixels(options),
        getSelection: (options) => this.#getSelection(options),
        putPixels: (options) => this.#putPixels(options),
        putLayerMask: (options) => this.#putLayerMask(options),
        createImageDataFromBuffer: (data, options) => this.#createImageData(data, options),
      },
      constants,
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Test controls

  open(init: DocumentInit): MockDocument {
    const doc = new MockDocument(this, init);
    this.documents.push(doc);
    this.active = doc;
    this.#emit('open');
    return doc;
  }

  switchTo(doc: MockDocument): void {
    this.active = doc;
    this.#emit('select');
  }

  close(doc: MockDocument): void {
    this.documents.splice(this.documents.indexOf(doc), 1);
    if (this.active === doc) this.active = this.documents[this.documents.length - 1] ?? null;
    this.#emit('close');
  }

  /** The next call of `call` throws `error` (once). */
  failNext(call: FailingCall, error = new Error(`mock failure in ${call}`)): void {
    this.#failures.set(call, error);
  }

  maybeFail(call: FailingCall): void {
    const error = this.#failures.get(call);
    if (error) {
      this.#failures.delete(call);
      throw error;
    }
  }

  requireModal(event: string): void {
    if (this.#modalDepth === 0) {
      throw new Error(`Event: ${event} may modify the state of Photoshop. Such events are only allowed from inside a modal scope`);
    }
  }

  /** True while a plugin's executeAsModal scope is open. */
  get isModal(): boolean {
    return this.#modalDepth > 0;
  }

  get listenerCount(): number {
    return this.#listeners.length;
  }

  // ------------------------------------------------------------------------------------------------------------

  #emit(event: string): void {
    for (const l of this.#listeners) if (l.events.includes(event)) l.notifier(event, { _obj: event });
  }

  #doc(id: number | undefined): MockDocument {
    const doc = id === undefined || id < 0 ? this.active : this.documents.find((d) => d.id === id);
    if (!doc) throw new Error(`Could not find a document with ID ${id}`);
    return doc;
  }

  #requireImagingModal(): void {
    if (this.#modalDepth === 0) throw new Error(MODAL_ERROR);
  }

  async #executeAsModal<T>(fn: (context: ExecutionContext, descriptor?: object) => Promise<T>, options: { commandName: string }): Promise<T> {
    if (this.busy) throw new Error('host is in a modal state');
    if (!options.commandName) throw new Error('executeAsModal: commandName is required');
    const suspensions = new Map<number, MockDocument>();
    const context: ExecutionContext = {
      isCancelled: false,
      onCancel: undefined,
      reportProgress: () => undefined,
      hostControl: {
        suspendHistory: async ({ documentID, name }) => {
          const doc = this.#doc(documentID);
          doc.suspend(name);
          const historySuspensionID = nextId++;
          suspensions.set(historySuspensionID, doc);
          return { historySuspensionID };
        },
        resumeHistory: async (params, commit = true) => {
          const doc = suspensions.get(params.historySuspensionID);
          if (!doc) throw new Error(`Invalid history suspension ${params.historySuspensionID}`);
          if (commit) this.maybeFail('resumeHistory');
          suspensions.delete(params.historySuspensionID);
          doc.resume(commit, params.finalName);
        },
        registerAutoCloseDocument: async () => undefined,
        unregisterAutoCloseDocument: async () => undefined,
      },
    };
    this.#modalDepth++;
    let ok = false;
    try {
      const value = await fn(context);
      ok = true;
      return value;
    } finally {
      this.#modalDepth--;
      // Photoshop resumes what the scope left suspended: committed when it returned, cancelled when it threw.
      for (const doc of suspensions.values()) if (doc.isSuspended) doc.resume(ok);
    }
  }

  async #createImageData(data: Uint8Array | Uint16Array | Float32Array, options: imaging.CreateImageDataFromBufferOptions): Promise<MockImageData> {
    const space = options.colorSpace as imaging.ColorSpace;
    if (space !== 'RGB' && space !== 'Grayscale') throw new Error(`mock: colorSpace ${options.colorSpace} not simulated`);
    if (space === 'Grayscale' && options.colorProfile !== undefined && !this.grayProfiles.includes(options.colorProfile)) {
      throw new Error(`Invalid color profile: ${options.colorProfile}`);
    }
    return new MockImageData(this.liveImageData, data, options, options.components, space, options.colorProfile ?? '');
  }

  async #getPixels(options: imaging.GetPixelsOptions): Promise<imaging.GetPixelsResult> {
    this.#requireImagingModal();
    const doc = this.#doc(options.documentID);
    const { documentID, layerID, sourceBounds, targetSize, componentSize, colorSpace, colorProfile, applyAlpha } = options;
    this.calls.push({ method: 'getPixels', documentID, layerID, sourceBounds, targetSize, componentSize, colorSpace, colorProfile, applyAlpha });
    if (applyAlpha) throw new Error('mock: applyAlpha is not simulated');
    const requested = clampBounds(options.sourceBounds ?? { left: 0, top: 0, right: doc.width, bottom: doc.height }, doc);
    const layer = options.layerID === undefined ? null : doc.layerById(options.layerID);
    // Layers are trimmed to their pixels; the composite of a document with an opaque background is not.
    const opaque = layer === null && doc.layers.some((l) => l.isBackgroundLayer);
    const bounds = layer ? intersectBounds(requested, layer.boundsNoEffects) : requested;
    if (bounds.right <= bounds.left || bounds.bottom <= bounds.top) throw new Error('mock: no pixels in the requested area');
    const size = resolveTarget(options.targetSize, bounds);
    const components = opaque ? 3 : 4;
    const out = new Uint8Array(size.width * size.height * components);
    const bw = bounds.right - bounds.left, bh = bounds.bottom - bounds.top;
    for (let y = 0; y < size.height; y++) {
      const dy = bounds.top + Math.floor(((y + 0.5) * bh) / size.height);
      for (let x = 0; x < size.width; x++) {
        const dx = bounds.left + Math.floor(((x + 0.5) * bw) / size.width);
        const px = layer ? layer.sample(dx, dy) : composite(doc, dx, dy);
        const o = (y * size.width + x) * components;
        for (let c = 0; c < components; c++) out[o + c] = px[c];
      }
    }
    const depth = options.componentSize === undefined || options.componentSize === -1 ? depthOf(doc) : options.componentSize;
    const data = depth === 16 ? to16(out) : depth === 8 ? out : toFloat(out);
    const imageData = new MockImageData(this.liveImageData, data, size, components, 'RGB', options.colorProfile ?? 'sRGB IEC61966-2.1');
    return { imageData, sourceBounds: bounds, level: 0 };
  }

  async #getSelection(options: imaging.GetSelectionOptions): Promise<imaging.GetSelectionResult> {
    this.#requireImagingModal();
    const doc = this.#doc(options.documentID);
    this.calls.push({ method: 'getSelection', documentID: options.documentID, sourceBounds: options.sourceBounds, targetSize: options.targetSize });
    const selection = doc.selection.bounds;
    if (!selection) throw new Error('There is no selection');
    const requested = clampBounds(options.sourceBounds ?? { left: 0, top: 0, right: doc.width, bottom: doc.height }, doc);
    // Trimmed to the selection's extent; with targetSize that extent is stretched to the target (one reading of the
    // undocumented behaviour, the one where a host that ignores sourceBounds goes most wrong).
    const bounds = intersectBounds(requested, selection);
    if (bounds.right <= bounds.left || bounds.bottom <= bounds.top) throw new Error('mock: no pixels in the requested area');
    const size = resolveTarget(options.targetSize, bounds);
    const out = new Uint8Array(size.width * size.height);
    const bw = bounds.right - bounds.left, bh = bounds.bottom - bounds.top;
    for (let y = 0; y < size.height; y++) {
      const dy = bounds.top + Math.floor(((y + 0.5) * bh) / size.height);
      for (let x = 0; x < size.width; x++) out[y * size.width + x] = doc.selectionAt(bounds.left + Math.floor(((x + 0.5) * bw) / size.width), dy);
    }
    // Selection data follows the document depth (16-bit: 0..32768).
    const data = depthOf(doc) === 16 ? to16(out) : out;
    const imageData = new MockImageData(this.liveImageData, data, size, 1, 'Grayscale', 'Gray Gamma 2.2');
    return { imageData, sourceBounds: bounds };
  }

  async #putPixels(options: imaging.PutPixelsOptions): Promise<void> {
    this.#requireImagingModal();
    this.maybeFail('putPixels');
    const doc = this.#doc(options.documentID);
    const layer = doc.layerById(options.layerID);
    this.calls.push({ method: 'putPixels', documentID: options.documentID, layerID: options.layerID, targetBounds: options.targetBounds, ...described(options.imageData) });
    if (layer.kind !== 'pixel') throw new Error('The target layer must be a pixel layer');
    const image = checkImage(options.imageData, doc, 'RGB');
    const rgba = from16(image, doc);
    const left = options.targetBounds?.left ?? 0, top = options.targetBounds?.top ?? 0;
    const data = image.components === 4 ? rgba : expandRgb(rgba);
    layer.raster = { x: left, y: top, width: image.width, height: image.height, channels: 4, data };
    doc.changed('Put Pixels');
  }

  async #putLayerMask(options: imaging.PutLayerMaskOptions): Promise<void> {
    this.#requireImagingModal();
    this.maybeFail('putLayerMask');
    const doc = this.#doc(options.documentID);
    const layer = doc.layerById(options.layerID);
    this.calls.push({ method: 'putLayerMask', documentID: options.documentID, layerID: options.layerID, targetBounds: options.targetBounds, ...described(options.imageData) });
    if (layer.isBackgroundLayer) throw new Error('The background layer cannot have a mask');
    const image = checkImage(options.imageData, doc, 'Grayscale');
    const left = options.targetBounds?.left ?? 0, top = options.targetBounds?.top ?? 0;
    layer.mask = { x: left, y: top, width: image.width, height: image.height, channels: 1, data: from16(image, doc) };
    doc.changed('Add Layer Mask');
  }
}

// -------------------------------------------------------------------------------------------------------------

function depthOf(doc: MockDocument): 8 | 16 | 32 {
  return doc.bitsPerChannel === 'bitDepth16' ? 16 : doc.bitsPerChannel === 'bitDepth32' ? 32 : 8;
}

function described(imageData: ImageDataShape): Pick<RecordedCall, 'componentSize' | 'colorSpace' | 'colorProfile'> {
  return { componentSize: imageData.componentSize, colorSpace: imageData.colorSpace, colorProfile: imageData.colorProfile };
}

function checkImage(imageData: ImageDataShape, doc: MockDocument, space: imaging.ColorSpace): MockImageData {
  if (!(imageData instanceof MockImageData) || imageData.disposed) throw new Error('Invalid image data');
  if (imageData.colorSpace !== space) throw new Error(`Expected ${space} image data, got ${imageData.colorSpace}`);
  // Undocumented in Photoshop; the mock insists on the document's depth (the host's safe path).
  if (imageData.componentSize !== depthOf(doc)) throw new Error(`Image data is ${imageData.componentSize}-bit but the document is ${depthOf(doc)}-bit`);
  return imageData;
}

function from16(image: MockImageData, doc: MockDocument): Uint8Array {
  const raw = image.raw();
  if (depthOf(doc) !== 16) return Uint8Array.from(raw);
  return Uint8Array.from(raw, (v) => Math.round((v * 255) / 32768));
}

function to16(data: Uint8Array): Uint16Array {
  return Uint16Array.from(data, (v) => Math.round((v * 32768) / 255));
}

function toFloat(data: Uint8Array): Float32Array {
  return Float32Array.from(data, (v) => v / 255);
}

function expandRgb(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0, s = 0; s < rgb.length; p += 4, s += 3) {
    out[p] = rgb[s]; out[p + 1] = rgb[s + 1]; out[p + 2] = rgb[s + 2]; out[p + 3] = 255;
  }
  return out;
}

function composite(doc: MockDocument, x: number, y: number): [number, number, number, number] {
  let r = 0, g = 0, b = 0, a = 0;
  for (const layer of doc.layers) {
    const [lr, lg, lb, la0] = layer.sample(x, y);
    const m = layer.mask ? maskAt(layer.mask, x, y) : 255;
    const la = (la0 * m) / 255 / 255;
    if (la === 0) continue;
    const outA = la + a * (1 - la);
    r = (lr * la + r * a * (1 - la)) / outA;
    g = (lg * la + g * a * (1 - la)) / outA;
    b = (lb * la + b * a * (1 - la)) / outA;
    a = outA;
  }
  return [Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)];
}

function maskAt(mask: Raster, x: number, y: number): number {
  // Outside its rectangle a new mask reveals (white).
  if (x < mask.x || y < mask.y || x >= mask.x + mask.width || y >= mask.y + mask.height) return 255;
  return mask.data[(y - mask.y) * mask.width + (x - mask.x)];
}

function clampBounds(b: Bounds, doc: MockDocument): Bounds {
  return { left: Math.max(0, b.left), top: Math.max(0, b.top), right: Math.min(doc.width, b.right), bottom: Math.min(doc.height, b.bottom) };
}

function intersectBounds(a: Bounds, b: Bounds): Bounds {
  return { left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) };
}

function resolveTarget(target: imaging.Size | undefined, b: Bounds): Size {
  const w = b.right - b.left, h = b.bottom - b.top;
  if (!target || (target.width === undefined && target.height === undefined)) return { width: w, height: h };
  if (target.width !== undefined && target.height !== undefined) return { width: target.width, height: target.height };
  return target.width !== undefined ? { width: target.width, height: Math.round((h * target.width) / w) } : { width: Math.round((w * target.height!) / h), height: target.height! };
}

/** Nearest-neighbour resample of the `from` part (document bounds) of a raster to width × height, placed at its left/top. */
function resample(src: Raster, from: Bounds, width: number, height: number): Raster {
  const w = from.right - from.left, h = from.bottom - from.top;
  const c = src.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = from.top + Math.min(h - 1, Math.floor(((y + 0.5) * h) / height));
    for (let x = 0; x < width; x++) {
      const sx = from.left + Math.min(w - 1, Math.floor(((x + 0.5) * w) / width));
      const s = ((sy - src.y) * src.width + (sx - src.x)) * c;
      data.set(src.data.subarray(s, s + c), (y * width + x) * c);
    }
  }
  return { x: from.left, y: from.top, width, height, channels: c, data };
}

function cloneRaster(r: Raster | null): Raster | null {
  return r ? { ...r, data: r.data.slice() } : null;
}

function rasterHash(r: Raster | null): string {
  if (!r) return '-';
  let h = 2166136261;
  for (let i = 0; i < r.data.length; i++) h = Math.imul(h ^ r.data[i], 16777619);
  return `${r.x},${r.y},${r.width}x${r.height}#${(h >>> 0).toString(16)}`;
}
