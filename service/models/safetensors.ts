/**
 * The safetensors format: 8 bytes little-endian header length N, N bytes of JSON {name: {dtype, shape,
 * data_offsets: [begin, end]}, __metadata__?}, then the raw little-endian tensors (offsets relative to the data start).
 * Only the header is read; tensors stay on disk and graphs point at their byte ranges.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ElemType } from '../graphs/onnx-graph';
import { ModelSourceError } from './errors';

/** safetensors dtype → ONNX element type, for the float types a diffusion checkpoint holds. */
const FLOAT_TYPES: Record<string, { type: ElemType; bytes: number }> = {
  F32: { type: 'float32', bytes: 4 },
  F16: { type: 'float16', bytes: 2 },
  BF16: { type: 'bfloat16', bytes: 2 },
};
/** Known safetensors dtypes genfill does not run (quantised or integer checkpoints); named in the error. */
const OTHER_TYPES = new Set(['F64', 'F8_E4M3', 'F8_E5M2', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'BOOL']);
/** A header larger than this is not a checkpoint header (the real SDXL single file's is ~200 kB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  /** As written in the file, e.g. F16. */
  dtype: string;
  type: ElemType;
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  length: number;
}

export interface SafetensorsFile {
  path: string;
  size: number;
  tensors: Map<string, SafetensorsEntry>;
  /** Tensors whose dtype is not a float type genfill runs: only an error if a graph needs one. */
  unsupported: Map<string, string>;
}

function fail(path: string, what: string): never {
  throw new ModelSourceError(`${path}: ${what}; the file is damaged or not a safetensors file (download it again)`);
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/** Reads and checks the header of a .safetensors file: every entry's dtype, shape and byte range. */
export function readSafetensors(path: string): SafetensorsFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ModelSourceError(`${path}: cannot be opened (${(error as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) fail(path, `only ${size} bytes long`);
    const headerLength = readExactly(fd, 8, 0).readBigUInt64LE(0);
    if (headerLength > BigInt(size - 8)) fail(path, `header length ${headerLength} runs past the end of the file (${size} bytes; truncated download?)`);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(path, `header length ${headerLength} is implausibly large`);
    const dataStart = 8 + Number(headerLength);
    let header: unknown;
    try {
      header = JSON.parse(readExactly(fd, Number(headerLength), 8).toString('utf8'));
    } catch (error) {
      fail(path, `header is not valid JSON (${(error as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(path, 'header is not a JSON object');
    const tensors = new Map<string, SafetensorsEntry>();
    const unsupported = new Map<string, string>();
    for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const where = `tensor ${name}`;
      if (typeof info !== 'object' || info === null) fail(path, `${where} has no description`);
      const { dtype, shape, data_offsets: offsets } = info;
      if (typeof dtype !== 'string') fail(path, `${where} has no dtype`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) fail(path, `${where} has an invalid shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
        fail(path, `${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
      }
      const [begin, end] = offsets as [number, number];
      if (begin > end || dataStart + end > size) {
        fail(path, `${where}: data_offsets [${begin}, ${end}] lie outside the file's ${size - dataStart} data bytes (truncated download?)`);
      }
      const float = FLOAT_TYPES[dtype];
      if (!float) {
        if (!OTHER_TYPES.has(dtype)) fail(path, `${where} has an unknown dtype "${dtype}"`);
        unsupported.set(name, dtype);
        continue;
      }
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (count * float.bytes !== end - begin) {
        fail(path, `${where}: ${end - begin} bytes do not hold a ${dtype} tensor of shape [${(shape as number[]).join(', ')}]`);
      }
      tensors.set(name, { name, dtype, type: float.type, shape: shape as number[], offset: dataStart + begin, length: end - begin });
    }
    return { path, size, tensors, unsupported };
  } finally {
    closeSync(fd);
  }
}
