/**
 * GPT-2 / CLIP byte-level alphabet: every byte maps to one printable Unicode character, so BPE can work on strings
 * without ever seeing whitespace or control characters. Printable Latin-1 bytes map to themselves, the other 68 bytes
 * to U+0100 onwards, in byte order.
 */

const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

function buildByteToChar(): string[] {
  const isPrintable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) table.push(String.fromCharCode(isPrintable(b) ? b : next++));
  return table;
}

const utf8 = new TextEncoder();

/** The byte-level string of `text`'s UTF-8 bytes: one character per byte. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const byte of utf8.encode(text)) out += BYTE_TO_CHAR[byte];
  return out;
}
