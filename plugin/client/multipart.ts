/**
 * A multipart/form-data body built by hand, so UXP's FormData cannot change it: UXP sends every file part as
 * `filename="blob"` and may drop a Blob's type, which would make raw pixels look like an unknown image. Here every
 * header is ASCII, each part names its own Content-Type, the boundary is explicit, and the body is one exact
 * ArrayBuffer. No TextEncoder (UXP has none): text parts must be ASCII, which `asciiJson` guarantees.
 */

export interface MultipartPart {
  name: string;
  contentType: string;
  /** Present for file parts; ASCII. */
  filename?: string;
  /** Bytes, or ASCII text. */
  data: Uint8Array | string;
}

export interface MultipartBody {
  body: ArrayBuffer;
  contentType: string;
}

/** JSON with every non-ASCII character escaped (\uXXXX, surrogate pairs as two escapes): valid JSON, pure ASCII. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** 32 random hex digits after a fixed prefix: raw pixel bytes repeating it by chance is out of the question. */
export function randomBoundary(): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
  return `----genfill-${hex}`;
}

export function multipartBody(parts: readonly MultipartPart[], boundary: string = randomBoundary()): MultipartBody {
  const chunks: (string | Uint8Array)[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\nContent-Type: ${part.contentType}\r\n\r\n`, part.data, '\r\n');
  }
  chunks.push(`--${boundary}--\r\n`);
  const bytes = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    if (typeof chunk === 'string') {
      for (let i = 0; i < chunk.length; i++) {
        const code = chunk.charCodeAt(i);
        if (code > 0x7e) throw new Error(`multipart: non-ASCII character in ${JSON.stringify(chunk.slice(0, 40))}`);
        bytes[offset++] = code;
      }
    } else {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
  }
  return { body: bytes.buffer, contentType: `multipart/form-data; boundary=${boundary}` };
}
