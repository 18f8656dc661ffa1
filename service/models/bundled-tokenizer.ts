/**
 * SDXL's two CLIP tokenizers for checkpoints that carry none (single files): Hugging Face's vocab.json / merges.txt
 * derived from OpenAI's bpe_simple_vocab_16e6.txt.gz shipped beside this file (MIT), the way CLIP's SimpleTokenizer
 * builds its vocabulary: the 256 byte symbols, the same with `</w>`, one token per merge, then the two specials.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const BPE_FILE = new URL('./clip-tokenizer/bpe_simple_vocab_16e6.txt.gz', import.meta.url);
/** CLIP uses the first 49152 − 256 − 2 merges of the file. */
const MERGES = 49152 - 256 - 2;

/** The byte-level alphabet in GPT-2's order: printable Latin-1 bytes as themselves, then the rest from U+0100 — i.e. by code point. */
function byteSymbols(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const symbols: number[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) symbols.push(printable(b) ? b : next++);
  return symbols.sort((a, b) => a - b).map((c) => String.fromCharCode(c));
}

export interface BundledTokenizerFiles {
  'vocab.json': string;
  'merges.txt': string;
}

export function clipTokenizerFiles(): BundledTokenizerFiles {
  const lines = gunzipSync(readFileSync(BPE_FILE)).toString('utf8').split('\n').slice(1, MERGES + 1);
  const symbols = byteSymbols();
  const tokens = [...symbols, ...symbols.map((s) => `${s}</w>`), ...lines.map((line) => line.split(' ').join('')), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => (vocab[token] = id));
  return { 'vocab.json': JSON.stringify(vocab), 'merges.txt': `#version: 0.2\n${lines.join('\n')}\n` };
}

/** special_tokens_map.json / tokenizer_config.json: the two tokenizers differ only in the pad token. */
export function clipSpecialTokens(pad: '<|endoftext|>' | '!'): Record<string, unknown> {
  return { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: pad, unk_token: '<|endoftext|>', model_max_length: 77, do_lower_case: true, tokenizer_class: 'CLIPTokenizer' };
}
