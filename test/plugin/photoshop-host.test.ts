import { afterEach, describe, expect, it } from 'vitest';
import { planCapture } from '../../core/capture-plan';
import { contextCrop, MAX_TRANSFER_PIXELS, transferSize } from '../../core/geometry';
import { HostRefusal } from '../../plugin/host/host';
import type { Capture, RefusalReason } from '../../plugin/host/host';
import { autoPlan, expectNoImageDataLeaks, fakeResult, featheredEllipse, firstDifference, gradient, rectSelection, setup } from './fixtures';
import { MODAL_ERROR } from './mock/photoshop';
import type { MockDocument, MockLayer, MockPhotoshop } from './mock/photoshop';

async function refusal(promise: Promise<unknown>): Promise<HostRefusal> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostRefusal);
  return error as HostRefusal;
}

async function expectRefusal(promise: Promise<unknown>, reason: RefusalReason, text: RegExp): Promise<void> {
  const error = await refusal(promise);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(text);
}

// Every path, refusals included, must dispose what it read.
afterEach(expectNoImageDataLeaks);

function expectNoLeaks(ps: MockPhotoshop): void {
  expect([...ps.liveImageData].length).toBe(0);
}

function topLayer(doc: MockDocument): MockLayer {
  return doc.layers[doc.layers.length - 1];
}

/** The selection values over a rectangle, as the document holds them. */
function selectionOver(doc: MockDocument, r: { x: number; y: number; width: number; height: number }): Uint8Array {
  const out = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) out[y * r.width + x] = doc.selectionAt(r.x + x, r.y + y);
  return out;
}

describe('PhotoshopHost.capture', () => {
  it('reads only the context crop, as 8-bit sRGB, with the soft selection kept', async () => {
    const selectionRect = { x: 500, y: 400, width: 100, height: 80 };
    const { ps, host, document } = setup({ selection: featheredEllipse(selectionRect) });
    const capture = await host.capture('composite', autoPlan);

    const crop = contextCrop(selectionRect, { width: 1200, height: 900 })!;
    expect(capture.plan.crop).toEqual(crop);
    expect(capture.plan.selection).toEqual(selectionRect);
    expect(capture.plan.transfer).toEqual({ width: crop.width, height: crop.height });
    const bounds = { left: crop.x, top: crop.y, right: crop.x + crop.width, bottom: crop.y + crop.height };
    const pixels = ps.calls.filter((c) => c.method === 'getPixels');
    expect(pixels).toHaveLength(1);
    expect(pixels[0]).toMatchObject({ documentID: document!.id, sourceBounds: bounds, componentSize: 8, layerID: undefined, targetSize: undefined });
    expect(pixels[0]).toMatchObject({ colorSpace: 'RGB', colorProfile: 'sRGB IEC61966-2.1', applyAlpha: false });
    expect(ps.calls.find((c) => c.method === 'getSelection')?.sourceBounds).toEqual(bounds);

    expect(capture.image).toMatchObject({ width: crop.width, height: crop.height, channels: 3 });
    const [r, g, b] = capture.image.data.subarray(0, 3);
    expect([r, g, b]).toEqual(gradient(crop.x, crop.y).slice(0, 3));
    // getSelection returned only the selection's extent; the host padded it back to the crop.
    expect(capture.mask).toMatchObject({ width: crop.width, height: crop.height, channels: 1 });
    expect(firstDifference(capture.mask.data, selectionOver(document!, crop))).toBeNull();
    expect(capture.mask.data.some((v) => v > 0 && v < 255)).toBe(true);
    expect(capture.mask).toBe(capture.mask);
    expectNoLeaks(ps);
  });

  it('reads exactly what the plan says: the policy lives in core/capture-plan, not in the host', async () => {
    const selectionRect = { x: 500, y: 400, width: 100, height: 80 };
    const { ps, host } = setup({ selection: featheredEllipse(selectionRect) });
    const seen: unknown[] = [];
    const capture = await host.capture('composite', (document, selection) => {
      seen.push({ document, selection });
      return planCapture(document, selection, { contextPadding: 0, maskGrow: 0, maskFeather: 0 });
    });
    expect(seen).toEqual([{ document: { width: 1200, height: 900 }, selection: selectionRect }]);
    const { crop } = capture.plan;
    // No padding: the selection, widened only to the nearest bucket aspect (100×80 → 103×80).
    expect(crop).toEqual({ x: 499, y: 400, width: 103, height: 80 });
    const bounds = { left: crop.x, top: crop.y, right: crop.x + crop.width, bottom: crop.y + crop.height };
    expect(ps.calls.filter((c) => c.method === 'getPixels' || c.method === 'getSelection').map((c) => c.sourceBounds)).toEqual([bounds, bounds]);
    await expectRefusal(host.capture('composite', () => null), 'selection_outside', /outside the canvas/);
    expectNoLeaks(ps);
  });

  it('relies on executeAsModal: the mocked imaging API refuses reads outside a modal scope', async () => {
    const { ps } = setup({ selection: rectSelection({ x: 10, y: 10, width: 5, height: 5 }) });
    await expect(ps.module.imaging.getPixels({ sourceBounds: { left: 0, top: 0, right: 5, bottom: 5 } })).rejects.toThrow(MODAL_ERROR);
    await expect(ps.module.imaging.getSelection({})).rejects.toThrow(MODAL_ERROR);
  });

  it('clamps a selection that extends past the canvas', async () => {
    const { ps, host, document } = setup({ selection: rectSelection({ x: -40, y: 850, width: 120, height: 100 }) });
    const capture = await host.capture('composite', autoPlan);
    expect(capture.plan.selection).toEqual({ x: 0, y: 850, width: 80, height: 50 });
    expect(capture.plan.crop.x).toBe(0);
    expect(capture.plan.crop.y + capture.plan.crop.height).toBe(900);
    expect(firstDifference(capture.mask.data, selectionOver(document!, capture.plan.crop))).toBeNull();
    expectNoLeaks(ps);
  });

  it('handles a selection touching the canvas edge and a 1-pixel selection', async () => {
    const edge = setup({ selection: rectSelection({ x: 1150, y: 0, width: 50, height: 30 }) });
    const edgeCapture = await edge.host.capture('composite', autoPlan);
    expect(edgeCapture.plan.crop.x + edgeCapture.plan.crop.width).toBe(1200);
    expect(edgeCapture.plan.crop.y).toBe(0);

    const one = setup({ selection: rectSelection({ x: 600, y: 450, width: 1, height: 1 }) });
    const capture = await one.host.capture('composite', autoPlan);
    expect(capture.plan.selection).toEqual({ x: 600, y: 450, width: 1, height: 1 });
    expect(capture.mask.data.filter((v) => v === 255)).toHaveLength(1);
    expect(capture.mask.data[(450 - capture.plan.crop.y) * capture.plan.crop.width + (600 - capture.plan.crop.x)]).toBe(255);
    expectNoLeaks(one.ps);
  });

  it('normalises 16-bit selection data from the 0..32768 range', async () => {
    const selection = featheredEllipse({ x: 300, y: 300, width: 64, height: 64 });
    const { ps, host, document } = setup({ bits: 'bitDepth16', selection });
    const capture = await host.capture('composite', autoPlan);
    expect(firstDifference(capture.mask.data, selectionOver(document!, capture.plan.crop))).toBeNull();
    expect(ps.calls.find((c) => c.method === 'getPixels')?.componentSize).toBe(8);
  });

  it('on a large document with a small selection reads only the crop', async () => {
    const { ps, host } = setup({ width: 8000, height: 6000, selection: rectSelection({ x: 4000, y: 3000, width: 120, height: 90 }) });
    const capture = await host.capture('composite', autoPlan);
    for (const call of ps.calls.filter((c) => c.method === 'getPixels' || c.method === 'getSelection')) {
      const b = call.sourceBounds!;
      expect(b).toEqual({ left: capture.plan.crop.x, top: capture.plan.crop.y, right: capture.plan.crop.x + capture.plan.crop.width, bottom: capture.plan.crop.y + capture.plan.crop.height });
      expect((b.right - b.left) * (b.bottom - b.top)).toBeLessThan(1024 * 1024);
      expect(call.targetSize).toBeUndefined();
    }
  });

  it('on a large document with a huge selection lets Photoshop downscale the transfer (targetSize)', async () => {
    const rect = { x: 100, y: 100, width: 7800, height: 5800 };
    const { ps, host } = setup({ width: 8000, height: 6000, selection: { rect, value: () => 255 } });
    const capture = await host.capture('composite', autoPlan);
    const transfer = transferSize(capture.plan.crop, MAX_TRANSFER_PIXELS);
    expect(transfer.width).toBeLessThan(capture.plan.crop.width);
    expect(capture.plan.transfer).toEqual(transfer);
    expect(capture.image).toMatchObject(transfer);
    expect(capture.mask).toMatchObject({ ...transfer, channels: 1 });
    // The trimmed selection read lands where the selection is.
    const { crop } = capture.plan;
    const m = capture.mask;
    const maskAt = (docX: number, docY: number) => m.data[Math.floor(((docY - crop.y) * m.height) / crop.height) * m.width + Math.floor(((docX - crop.x) * m.width) / crop.width)];
    expect([maskAt(40, 40), maskAt(7960, 5960), maskAt(4000, 50)]).toEqual([0, 0, 0]);
    expect([maskAt(150, 150), maskAt(4000, 3000), maskAt(7850, 5850)]).toEqual([255, 255, 255]);
    expect(ps.calls.find((c) => c.method === 'getPixels')?.targetSize).toEqual(transfer);
    // The selection is read once, at the transfer size: never at the full crop size (×2 again in 16-bit documents).
    expect(ps.calls.filter((c) => c.method === 'getSelection').map((c) => c.targetSize)).toEqual([transfer]);
    expectNoLeaks(ps);
  });

  it('reads the active layer when asked, padding its trimmed pixels with transparency', async () => {
    const patch = { x: 520, y: 420, width: 40, height: 30, channels: 4 as const, data: new Uint8Array(40 * 30 * 4).fill(255) };
    const { ps, host } = setup({
      layers: [{ name: 'Background', isBackground: true, fill: gradient }, { name: 'Patch', raster: patch }],
      selection: rectSelection({ x: 500, y: 400, width: 100, height: 80 }),
    });
    const capture = await host.capture('layer', autoPlan);
    const call = ps.calls.find((c) => c.method === 'getPixels')!;
    expect(call.layerID).toBe(ps.active!.layers[1].id);
    expect(capture.image.channels).toBe(4);
    const at = (x: number, y: number) => capture.image.data[((y - capture.plan.crop.y) * capture.plan.crop.width + (x - capture.plan.crop.x)) * 4 + 3];
    expect(at(530, 430)).toBe(255);
    expect(at(capture.plan.crop.x, capture.plan.crop.y)).toBe(0);
    expectNoLeaks(ps);
  });

  it('on a huge selection reads the active layer downscaled, its trimmed pixels in their place', async () => {
    // The layer covers only the right half of the document; Photoshop trims the read to it.
    const half = { x: 4000, y: 0, width: 4000, height: 6000 };
    const { ps, host } = setup({
      width: 8000,
      height: 6000,
      layers: [{ name: 'Background', isBackground: true, fill: gradient }, { name: 'Right', fill: () => [9, 99, 199, 255], fillBounds: half }],
      selection: { rect: { x: 100, y: 100, width: 7800, height: 5800 }, value: () => 255 },
    });
    const capture = await host.capture('layer', autoPlan);
    const call = ps.calls.find((c) => c.method === 'getPixels')!;
    expect(call.targetSize).toEqual(capture.plan.transfer);
    const { crop, transfer } = capture.plan;
    const { image } = capture;
    expect(image).toMatchObject({ ...transfer, channels: 4 });
    const at = (docX: number, docY: number) => {
      const x = Math.floor(((docX - crop.x) * transfer.width) / crop.width);
      const y = Math.floor(((docY - crop.y) * transfer.height) / crop.height);
      return [...image.data.subarray((y * transfer.width + x) * 4, (y * transfer.width + x) * 4 + 4)];
    };
    expect(at(crop.x + 10, 3000)).toEqual([0, 0, 0, 0]);
    expect(at(half.x - 10, 3000)).toEqual([0, 0, 0, 0]);
    expect(at(half.x + 10, 3000)).toEqual([9, 99, 199, 255]);
    expect(at(crop.x + crop.width - 1, crop.y)).toEqual([9, 99, 199, 255]);
  });
});

describe('PhotoshopHost.capture refusals', () => {
  const sel = rectSelection({ x: 100, y: 100, width: 50, height: 50 });

  it('no document', async () => {
    const { host } = setup();
    await expectRefusal(host.capture('composite', autoPlan), 'no_document', /Open an image/);
  });

  it('no selection', async () => {
    const { host } = setup({ selection: null });
    await expectRefusal(host.capture('composite', autoPlan), 'no_selection', /Make a selection/);
  });

  it('a selection entirely outside the canvas', async () => {
    const { host } = setup({ selection: rectSelection({ x: 1300, y: 100, width: 50, height: 50 }) });
    await expectRefusal(host.capture('composite', autoPlan), 'selection_outside', /outside the canvas/);
  });

  it('colour modes other than RGB', async () => {
    for (const mode of ['CMYKColorMode', 'grayscaleMode', 'labColorMode', 'indexedColorMode'] as const) {
      const { host } = setup({ mode, selection: sel });
      await expectRefusal(host.capture('composite', autoPlan), 'unsupported_mode', /Image > Mode > RGB Color/);
    }
  });

  it('32-bit documents', async () => {
    const { host } = setup({ bits: 'bitDepth32', selection: sel });
    await expectRefusal(host.capture('composite', autoPlan), 'unsupported_depth', /32-bit.*16 Bits\/Channel/);
  });

  it('a non-pixel active layer as source', async () => {
    const { host } = setup({ layers: [{ name: 'Background', isBackground: true, fill: gradient }, { name: 'Title', kind: 'text' }], selection: sel });
    await expectRefusal(host.capture('layer', autoPlan), 'layer_not_pixels', /not a pixel layer/);
  });

  it('Photoshop busy with another modal command', async () => {
    const { ps, host } = setup({ selection: sel });
    ps.busy = true;
    await expectRefusal(host.capture('composite', autoPlan), 'photoshop_busy', /busy/);
  });

  it('Photoshop older than 25.2', async () => {
    const { host } = setup({ selection: sel }, '25.1.0');
    await expectRefusal(host.capture('composite', autoPlan), 'unsupported_version', /25\.2 or later/);
  });
});

describe('PhotoshopHost.insert', () => {
  async function captured(doc = {}) {
    const ctx = setup({ selection: featheredEllipse({ x: 500, y: 400, width: 100, height: 80 }), ...doc });
    const capture: Capture = await ctx.host.capture('composite', autoPlan);
    ctx.ps.calls.length = 0;
    return { ...ctx, document: ctx.document!, capture };
  }

  it('adds one masked pixel layer above the active layer at the crop offset, as one undo step', async () => {
    const { ps, host, document, capture } = await captured();
    const historyBefore = document.history.length;
    const result = fakeResult(capture.plan.transfer.width, capture.plan.transfer.height);
    await host.insert({ capture, image: result, layerName: 'a red boat (seed 7)' });

    expect(document.layers).toHaveLength(2);
    const layer = topLayer(document);
    expect(layer.name).toBe('a red boat (seed 7)');
    expect(layer.kind).toBe('pixel');
    expect(layer.raster).toMatchObject({ x: capture.plan.crop.x, y: capture.plan.crop.y, width: capture.plan.crop.width, height: capture.plan.crop.height });
    expect(firstDifference(layer.raster!.data, result.data)).toBeNull();
    expect(layer.mask).toMatchObject({ x: capture.plan.crop.x, y: capture.plan.crop.y, width: capture.plan.crop.width, height: capture.plan.crop.height });
    expect(firstDifference(layer.mask!.data, capture.mask.data)).toBeNull();
    expect(document.history.length).toBe(historyBefore + 1);
    expect(document.history.at(-1)).toBe('Generative Fill: a red boat (seed 7)');
    // Tagged sRGB / Gray Gamma 2.2 so Photoshop converts into the document's profile; written at the document's depth.
    expect(ps.calls.map((c) => [c.method, c.layerID, c.colorSpace, c.colorProfile, c.componentSize])).toEqual([
      ['putPixels', layer.id, 'RGB', 'sRGB IEC61966-2.1', 8],
      ['putLayerMask', layer.id, 'Grayscale', 'Gray Gamma 2.2', 8],
    ]);
    expectNoLeaks(ps);
  });

  it('places the layer directly above the active layer, not on top of the stack', async () => {
    const { ps, host, document, capture } = await captured({
      layers: [{ name: 'Background', isBackground: true, fill: gradient }, { name: 'Middle', fill: gradient }, { name: 'Top', fill: gradient }],
    });
    document.activeLayerIds = [document.layers[1].id];
    await host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'filled' });
    expect(document.layers.map((l) => l.name)).toEqual(['Background', 'Middle', 'filled', 'Top']);
    expect(document.history.at(-1)).toBe('Generative Fill: filled');
    expectNoLeaks(ps);
  });

  it('inserts another variation as a second layer and undo step', async () => {
    const { host, document, capture } = await captured();
    await host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'one' });
    await host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height, 3), layerName: 'two' });
    expect(document.layers.map((l) => l.name)).toEqual(['Background', 'one', 'two']);
    expect(document.history.slice(-2)).toEqual(['Generative Fill: one', 'Generative Fill: two']);
    expect(topLayer(document).raster!.data[3]).toBe(255);
  });

  for (const call of ['createPixelLayer', 'putPixels', 'putLayerMask', 'resumeHistory'] as const) {
    it(`rolls the document back when ${call} fails mid-insert`, async () => {
      const { ps, host, document, capture } = await captured();
      const before = document.fingerprint();
      ps.failNext(call);
      await expectRefusal(host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'x' }), 'insert_failed', /left unchanged.*mock failure/);
      expect(document.fingerprint()).toBe(before);
      expectNoLeaks(ps);
    });
  }

  it('refuses when the document was closed or another one is active', async () => {
    const { ps, host, document, capture } = await captured();
    const image = fakeResult(capture.plan.transfer.width, capture.plan.transfer.height);
    const other = ps.open({ title: 'Other.psd', width: 100, height: 100, layers: [{ name: 'Background', isBackground: true, fill: gradient }] });
    const before = document.fingerprint();
    await expectRefusal(host.insert({ capture, image, layerName: 'x' }), 'document_switched', /Switch back/);
    ps.switchTo(document);
    ps.close(document);
    await expectRefusal(host.insert({ capture, image, layerName: 'x' }), 'document_closed', /was closed/);
    expect(document.fingerprint()).toBe(before);
    expect(other.layers).toHaveLength(1);
  });

  it('refuses a result of the wrong size, and a document that changed mode or size since Generate', async () => {
    const { host, document, capture } = await captured();
    const image = fakeResult(capture.plan.transfer.width, capture.plan.transfer.height);
    const before = document.fingerprint();
    await expectRefusal(host.insert({ capture, image: fakeResult(10, 10), layerName: 'x' }), 'insert_failed', /returned a 10×10 result for a \d+×\d+ request/);
    expect(document.fingerprint()).toBe(before);
    document.mode = 'CMYKColorMode' as typeof document.mode;
    await expectRefusal(host.insert({ capture, image, layerName: 'x' }), 'unsupported_mode', /CMYK mode.*Image > Mode > RGB Color/);
    document.mode = 'RGBColorMode' as typeof document.mode;
    document.width = 1000;
    await expectRefusal(host.insert({ capture, image, layerName: 'x' }), 'insert_failed', /changed size since Generate \(1200×900 → 1000×900\)/);
    expect(document.fingerprint()).toBe(before.replace('1200x900', '1000x900'));
  });

  it('names the gray profile of the mask only when Photoshop has it installed', async () => {
    const { ps, host, document, capture } = await captured();
    ps.grayProfiles = ['Dot Gain 20%'];
    await host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'no gray gamma' });
    const mask = ps.calls.find((c) => c.method === 'putLayerMask')!;
    expect([mask.colorSpace, mask.colorProfile]).toEqual(['Grayscale', '']);
    expect(firstDifference(topLayer(document).mask!.data, capture.mask.data)).toBeNull();
    expectNoLeaks(ps);
  });

  it('writes 16-bit data into a 16-bit document', async () => {
    const { ps, host, document, capture } = await captured({ bits: 'bitDepth16' });
    const result = fakeResult(capture.plan.transfer.width, capture.plan.transfer.height);
    await host.insert({ capture, image: result, layerName: 'deep' });
    expect(ps.calls.map((c) => c.componentSize)).toEqual([16, 16]);
    expect(firstDifference(topLayer(document).raster!.data, result.data)).toBeNull();
    expect(firstDifference(topLayer(document).mask!.data, capture.mask.data)).toBeNull();
    expectNoLeaks(ps);
  });

  it('puts a downscaled result that is transparent along its top and left edges where it belongs', async () => {
    const rect = { x: 0, y: 0, width: 3000, height: 2000 };
    const { host, document, capture } = await captured({ width: 3000, height: 2000, selection: { rect, value: () => 255 } });
    const { transfer, crop } = capture.plan;
    const result = fakeResult(transfer.width, transfer.height);
    const margin = { x: 100, y: 50 };
    for (let y = 0; y < transfer.height; y++) {
      for (let x = 0; x < transfer.width; x++) if (x < margin.x || y < margin.y) result.data[(y * transfer.width + x) * 4 + 3] = 0;
    }
    await host.insert({ capture, image: result, layerName: 'edges' });
    const raster = topLayer(document).raster!;
    const sx = crop.width / transfer.width, sy = crop.height / transfer.height;
    // Scaling anchors at the layer's pixels, not the crop: without the shift the content would sit up and to the left.
    expect(Math.abs(raster.x - (crop.x + margin.x * sx))).toBeLessThanOrEqual(1);
    expect(Math.abs(raster.y - (crop.y + margin.y * sy))).toBeLessThanOrEqual(1);
    expect(Math.abs(raster.x + raster.width - (crop.x + crop.width))).toBeLessThanOrEqual(1);
    expect(Math.abs(raster.y + raster.height - (crop.y + crop.height))).toBeLessThanOrEqual(1);
  });

  it('a downscaled capture: the mask read at transfer size is enlarged with the layer onto the selection', async () => {
    // A large soft ellipse: the crop exceeds the transfer cap, so nothing is read at full size.
    const rect = { x: 300, y: 200, width: 3400, height: 2600 };
    const cx = rect.x + rect.width / 2, cy = rect.y + rect.height / 2;
    const value = (x: number, y: number) => {
      const d = Math.hypot((x - cx) / (rect.width / 2), (y - cy) / (rect.height / 2));
      return Math.max(0, Math.min(255, Math.round((1 - d) * 255 * 10)));
    };
    const { ps, host, document, capture } = await captured({ width: 4000, height: 3000, selection: { rect, value } });
    const { crop, transfer } = capture.plan;
    expect(transfer.width).toBeLessThan(crop.width);
    expect(capture.mask).toMatchObject({ ...transfer, channels: 1 });
    await host.insert({ capture, image: fakeResult(transfer.width, transfer.height), layerName: 'big soft' });
    const mask = topLayer(document).mask!;
    expect(mask).toMatchObject({ x: crop.x, y: crop.y, width: crop.width, height: crop.height });
    const at = (x: number, y: number) => mask.data[(y - mask.y) * mask.width + (x - mask.x)];
    // Well inside, well outside, and along the soft edge the enlarged mask follows the document's selection.
    for (const [x, y] of [[2000, 1500], [1000, 1500], [3000, 1000], [cx - 1700 * 0.85, cy]]) expect(at(Math.round(x), Math.round(y))).toBe(255);
    for (const [x, y] of [[crop.x + 5, crop.y + 5], [crop.x + crop.width - 5, crop.y + crop.height - 5]]) expect(at(x, y)).toBe(0);
    const edge = [Math.round(cx + 1700 * 0.97), Math.round(cy)];
    expect(Math.abs(at(edge[0], edge[1]) - document.selectionAt(edge[0], edge[1]))).toBeLessThanOrEqual(40);
    expectNoLeaks(ps);
  });

  it('scales a downscaled result back up to the crop, letting Photoshop resample', async () => {
    const rect = { x: 0, y: 0, width: 3000, height: 2000 };
    const { ps, host, document, capture } = await captured({ width: 3000, height: 2000, selection: { rect, value: () => 255 } });
    expect(capture.plan.transfer.width).toBeLessThan(capture.plan.crop.width);
    const before = document.fingerprint();
    ps.failNext('scale');
    await expectRefusal(host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'big' }), 'insert_failed', /left unchanged.*mock failure in scale/);
    expect(document.fingerprint()).toBe(before);
    await host.insert({ capture, image: fakeResult(capture.plan.transfer.width, capture.plan.transfer.height), layerName: 'big' });
    // Enlarged with the interpolation made for it, not the user's preference (which may be Nearest Neighbor).
    expect(ps.transforms.at(-1)).toMatchObject({ anchor: 'top-left', interpolation: 'bicubicSmoother' });
    const layer = topLayer(document);
    expect(layer.raster).toMatchObject({ x: capture.plan.crop.x, y: capture.plan.crop.y, width: capture.plan.crop.width, height: capture.plan.crop.height });
    expect(layer.mask).toMatchObject({ width: capture.plan.crop.width, height: capture.plan.crop.height });
    expect(document.history.at(-1)).toBe('Generative Fill: big');
    expectNoLeaks(ps);
  });
});
