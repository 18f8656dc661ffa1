/**
 * CLIP tokenizer against the real vocabulary in ../shared/clip-tokenizer (never copied into the repo; skipped when
 * absent). Known ids come from transformers.js' CLIP tokenizer test table (generated with Hugging Face's tokenizer
 * for openai/clip-vit-base-patch16, same vocab/merges as SDXL) plus prompts derived by hand from vocab/merges.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer } from '../../service/pipeline/tokenizer/index';

const SHARED = fileURLToPath(new URL('../../../shared/clip-tokenizer', import.meta.url));
const available = existsSync(join(SHARED, 'vocab.json')) && existsSync(join(SHARED, 'merges.txt'));
if (!available) console.warn(`tokenizer tests skipped: ${SHARED} (vocab.json + merges.txt) not found`);

const BOS = 49406;
const EOS = 49407;

/** [text, BPE ids without bos/eos]. */
const KNOWN: [string, number[]][] = [
  // transformers.js tests/models/clip/test_tokenization_clip.js (BASE_TEST_STRINGS).
  ['How are you doing?', [829, 631, 592, 1960, 286]],
  ["You should've done this", [592, 1535, 1200, 1700, 589]],
  ['0123456789 0 1 2 3 4 5 6 7 8 9 10 100 1000', [271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 272, 271, 272, 271, 271, 272, 271, 271, 271]],
  ['The company was founded in 2016.', [518, 2634, 739, 12240, 530, 273, 271, 272, 277, 269]],
  ["A\n'll !!to?'d''d of, can't.", [320, 1342, 748, 531, 13610, 323, 8445, 323, 539, 267, 753, 713, 269]],
  ['def main():\n\tpass', [11649, 2623, 7, 4143, 3511]],
  ['let a = obj.toString();\ntoString();', [1094, 320, 284, 1411, 329, 269, 580, 9696, 7, 19686, 580, 9696, 7, 19686]],
  ['This\n\nis\na\ntest.', [589, 533, 320, 1628, 269]],
  ['UNwant\u00e9d,running', [569, 18356, 3459, 323, 267, 2761]],
  ['1\u00002\uFFFD3', [272, 444, 273, 39802, 274]],
  ['Hello World', [3306, 1002]],
  ['hello world', [3306, 1002]],
  ['生活的真谛是', [33375, 162, 112, 119, 163, 248, 226, 41570, 164, 108, 249, 42891, 363]],
  ['   leading space', [3833, 2138]],
  ['trailing space   ', [37427, 2138]],
  ['Hi  Hello', [1883, 3306]],
  ['test $1 R2 #3 €4 £5 ¥6 ₣7 ₹8 ₱9 test', [1628, 259, 272, 337, 273, 258, 274, 6309, 275, 1950, 276, 20199, 277, 5227, 352, 278, 21777, 279, 5227, 365, 280, 1628]],
  ['I bought an apple for $1.00 at the store.', [328, 4142, 550, 3055, 556, 259, 272, 269, 271, 271, 536, 518, 2183, 269]],
  ['you…  ', [592, 959]],
  ['you\u2026\u00A0\u00A0you\u2026\u00A0\u00A0', [592, 959, 592, 959]],
  ['weird \uFF5E edge \uFF5E case', [5613, 171, 121, 508, 5461, 171, 121, 508, 2068]],
  // Derived from vocab.json/merges.txt: whole-word tokens ("photo</w>" 1125, "cat</w>" 2368, "'t</w>" 713, …).
  ['a photo of a cat', [320, 1125, 539, 320, 2368]],
  ['A  Photo OF a CAT!', [320, 1125, 539, 320, 2368, 256]],
  ["don't", [847, 713]],
  ["it's", [585, 568]],
  ['café', [15304]],
  ['cafe\u0301', [15304]], // NFC composes e + combining acute into é
  ['hello, world!', [3306, 267, 1002, 256]],
  ['rainbow-colored', [6286, 268, 11775]],
  ['a red apple. 8k', [320, 736, 3055, 269, 279, 330]],
  ['photorealistic', [1153, 16157]],
  ['<|endoftext|>', [EOS]],
];

describe.skipIf(!available)(`ClipTokenizer (real CLIP vocab from ${SHARED})`, () => {
  let folder = '';
  let tokenizer1: ClipTokenizer;
  let tokenizer2: ClipTokenizer;

  /** A tokenizer folder in a temp dir: links to the shared vocab/merges plus the given JSON files. */
  async function makeFolder(name: string, files: Record<string, unknown>): Promise<string> {
    const dir = join(folder, name);
    await mkdir(dir);
    await symlink(join(SHARED, 'vocab.json'), join(dir, 'vocab.json'));
    await symlink(join(SHARED, 'merges.txt'), join(dir, 'merges.txt'));
    for (const [file, json] of Object.entries(files)) await writeFile(join(dir, file), JSON.stringify(json));
    return dir;
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'genfill-tokenizer-'));
    const special = (pad: unknown): Record<string, unknown> => ({
      'special_tokens_map.json': {
        bos_token: { content: '<|startoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
        eos_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
        pad_token: pad,
        unk_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
      },
      'tokenizer_config.json': { do_lower_case: true, model_max_length: 77, tokenizer_class: 'CLIPTokenizer' },
    });
    tokenizer1 = await ClipTokenizer.fromFolder(await makeFolder('tokenizer', special('<|endoftext|>')));
    tokenizer2 = await ClipTokenizer.fromFolder(await makeFolder('tokenizer_2', special('!')));
  });

  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('"a photo of a cat": tokenizer pads with 49407, tokenizer_2 with 0', () => {
    const body = [BOS, 320, 1125, 539, 320, 2368, EOS];
    const one = tokenizer1.encode('a photo of a cat');
    const two = tokenizer2.encode('a photo of a cat');
    expect(one.ids.length).toBe(77);
    expect(Array.from(one.ids)).toEqual([...body, ...new Array(70).fill(EOS)]);
    expect(Array.from(two.ids)).toEqual([...body, ...new Array(70).fill(0)]);
    expect(one.truncatedTokens).toBe(0);
    expect([tokenizer1.padId, tokenizer2.padId]).toEqual([EOS, 0]);
    expect(tokenizer1.maxLength).toBe(77);
  });

  it('"" is bos, eos, then padding', () => {
    expect(Array.from(tokenizer1.encode('').ids)).toEqual([BOS, EOS, ...new Array(75).fill(EOS)]);
    expect(Array.from(tokenizer2.encode('').ids)).toEqual([BOS, EOS, ...new Array(75).fill(0)]);
    expect(Array.from(tokenizer2.encode(' \n\t ').ids.subarray(0, 3))).toEqual([BOS, EOS, 0]);
  });

  for (const [text, ids] of KNOWN) {
    it(`tokenizes ${JSON.stringify(text)}`, () => {
      expect(tokenizer1.tokenize(text)).toEqual(ids);
      expect(Array.from(tokenizer2.encode(text).ids.subarray(0, ids.length + 2))).toEqual([BOS, ...ids, EOS]);
    });
  }

  it('truncates a 100-word prompt to 75 tokens and reports the rest', () => {
    const prompt = Array.from({ length: 20 }, () => 'a photo of a cat').join(' ');
    const { ids, truncatedTokens } = tokenizer2.encode(prompt);
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(BOS);
    expect(ids[76]).toBe(EOS);
    const cycle = [320, 1125, 539, 320, 2368];
    expect(Array.from(ids.subarray(1, 76))).toEqual(Array.from({ length: 75 }, (_, i) => cycle[i % 5]));
    expect(truncatedTokens).toBe(25);
  });

  it('fits exactly 75 tokens without truncation or padding', () => {
    const prompt = Array.from({ length: 15 }, () => 'a photo of a cat').join(' ');
    const { ids, truncatedTokens } = tokenizer2.encode(prompt);
    expect(truncatedTokens).toBe(0);
    expect(ids[75]).toBe(2368);
    expect(ids[76]).toBe(EOS);
    expect(Array.from(ids).includes(0)).toBe(false);
  });

  it('defaults: no special-token files pad with <|endoftext|> at length 77', async () => {
    const plain = await ClipTokenizer.fromFolder(await makeFolder('plain', {}));
    expect(plain.padId).toBe(EOS);
    expect(plain.maxLength).toBe(77);
  });

  it('reads model_max_length and refuses unknown or malformed special tokens', async () => {
    const short = await ClipTokenizer.fromFolder(await makeFolder('short', { 'tokenizer_config.json': { model_max_length: 8 } }));
    const { ids, truncatedTokens } = short.encode('a photo of a cat on a mat');
    expect(Array.from(ids)).toEqual([BOS, 320, 1125, 539, 320, 2368, 525, EOS]);
    expect(truncatedTokens).toBe(2); // "a mat"
    await expect(
      ClipTokenizer.fromFolder(await makeFolder('unknown-pad', { 'special_tokens_map.json': { pad_token: '<pad>' } })),
    ).rejects.toThrow(/pad token "<pad>" is not in vocab.json/);
    await expect(
      ClipTokenizer.fromFolder(await makeFolder('bad-pad', { 'special_tokens_map.json': { pad_token: 7 } })),
    ).rejects.toThrow(/pad_token 7 is neither a string nor/);
    await expect(
      ClipTokenizer.fromFolder(await makeFolder('huge', { 'tokenizer_config.json': { model_max_length: 1e30 } })),
    ).rejects.toThrow(/model_max_length 1e\+30 is not a usable length/);
  });
});
