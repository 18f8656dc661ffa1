// Writes small or edited .safetensors files for the model-source tests.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;

/** A file of the given header entries (zero-filled data of `dataBytes`, default: what the offsets need). */
export function writeSafetensors(path: string, header: Header, dataBytes?: number): void {
  const json = Buffer.from(JSON.stringify(header));
  const needed = Math.max(0, ...Object.values(header).map((v) => ('data_offsets' in v ? (v.data_offsets as number[])[1] : 0)));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, Buffer.alloc(dataBytes ?? needed)]));
}

/** Zero tensors of the given shapes, F16, packed one after the other. */
export function zeros(entries: Record<string, number[]>, dtype = 'F16'): Header {
  const header: Header = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(entries)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  return header;
}

/** A copy of `source` whose header went through `edit` (tensor data kept byte for byte). */
export function rewriteSafetensors(source: string, target: string, edit: (header: Header) => void): void {
  const bytes = readFileSync(source);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Header;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(target, Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
}

/** A diffusers folder at `target` that links to `source`'s files, except the ones `override` writes. */
export function linkedDiffusersCopy(source: string, target: string, override: (target: string) => void = () => undefined): void {
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      mkdirSync(join(target, entry.name), { recursive: true });
      for (const file of readdirSync(join(source, entry.name))) symlinkSync(join(source, entry.name, file), join(target, entry.name, file));
    } else {
      cpSync(join(source, entry.name), join(target, entry.name));
    }
  }
  override(target);
}

/** Replaces a (possibly symlinked) file without writing through the link into the golden kit. */
export function replaceFile(path: string, content: string | Buffer): void {
  rmSync(path, { force: true });
  writeFileSync(path, content);
}

/** A copy of an F32 file with every tensor rounded to BF16 (round to nearest even), as some checkpoints ship. */
export function toBfloat16(source: string, target: string): void {
  const bytes = readFileSync(source);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Header;
  const data = bytes.subarray(8 + headerLength);
  const out: Header = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (!('data_offsets' in entry)) continue;
    const [begin, end] = entry.data_offsets as [number, number];
    const words = new Uint32Array(data.buffer.slice(data.byteOffset + begin, data.byteOffset + end));
    const halves = Uint16Array.from(words, (w) => ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff);
    chunks.push(Buffer.from(halves.buffer));
    out[name] = { dtype: 'BF16', shape: entry.shape as number[], data_offsets: [offset, offset + halves.byteLength] };
    offset += halves.byteLength;
  }
  const json = Buffer.from(JSON.stringify(out));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(target, Buffer.concat([length, json, ...chunks]));
}
