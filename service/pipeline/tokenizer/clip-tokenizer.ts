/**
 * CLIP's tokenizer (transformers `CLIPTokenizer`, as SDXL's `tokenizer/` and `tokenizer_2/` folders define it):
 * normalise, split with CLIP's pattern, byte-level BPE, then `[bos] + ≤ maxLength−2 ids + [eos] + pad…`.
 *
 * Normalisation is NFC, whitespace runs collapsed to one space and trimmed, lower case: what `CLIPTokenizerFast`
 * does, and what the slow `CLIPTokenizer` does for ordinary text. Not reproduced: ftfy's mojibake repair (slow
 * tokenizer with ftfy installed) and, without ftfy, the slow tokenizer's dropping of control characters and spacing
 * out of CJK characters.
 */
import { BytePairEncoder } from './bpe';
import { toByteLevel } from './byte-level';
import { parseSpecialTokens } from './special-tokens';
import { readTokenizerFiles } from './tokenizer-files';
import type { TokenizerFiles } from './tokenizer-files';

/** CLIP's pre-tokenizer: special tokens, English contractions, letter runs, single digits, other-symbol runs. */
const WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** CLIPTokenizer reads only this many merges (49152 tokens − 256 bytes − 2 specials). */
const MERGE_COUNT = 49152 - 256 - 2;

export interface EncodedText {
  /** Length maxLength: bos, ≤ maxLength−2 ids, eos, pad… */
  ids: Int32Array;
  /** BPE tokens dropped because the text did not fit. */
  truncatedTokens: number;
}

export class ClipTokenizer {
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly maxLength: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly unkId: number;
  private readonly bpe: BytePairEncoder;

  /** Reads vocab.json, merges.txt and (when present) special_tokens_map.json / tokenizer_config.json. */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readTokenizerFiles(dir), dir);
  }

  /** `source` names where the files came from, for error messages. */
  constructor(files: TokenizerFiles, source: string) {
    this.vocab = parseVocab(files.vocab, source);
    const special = parseSpecialTokens(files.tokenizerConfig, files.specialTokensMap, source);
    const idOf = (role: string, token: string): number => {
      const id = this.vocab.get(token);
      if (id === undefined) throw new Error(`${source}: the ${role} token ${JSON.stringify(token)} is not in vocab.json`);
      return id;
    };
    this.bosId = idOf('bos', special.bos);
    this.eosId = idOf('eos', special.eos);
    this.padId = idOf('pad', special.pad);
    this.unkId = idOf('unk', special.unk);
    this.maxLength = special.maxLength;
    this.bpe = new BytePairEncoder(parseMerges(files.merges, source), [special.bos, special.eos]);
  }

  /** The BPE ids of `text`, without bos/eos and without truncation. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    const normalized = text.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
    for (const match of normalized.matchAll(WORD_PATTERN)) {
      for (const symbol of this.bpe.encode(toByteLevel(match[0]))) ids.push(this.vocab.get(symbol) ?? this.unkId);
    }
    return ids;
  }

  encode(text: string): EncodedText {
    const tokens = this.tokenize(text);
    const room = this.maxLength - 2;
    const kept = Math.min(tokens.length, room);
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.bosId;
    for (let i = 0; i < kept; i++) ids[i + 1] = tokens[i];
    ids[kept + 1] = this.eosId;
    return { ids, truncatedTokens: tokens.length - kept };
  }
}

function parseVocab(json: unknown, source: string): Map<string, number> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source}/vocab.json is not a JSON object of token → id`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isInteger(id)) throw new Error(`${source}/vocab.json: id of ${JSON.stringify(token)} is ${JSON.stringify(id)}`);
    vocab.set(token, id as number);
  }
  return vocab;
}

/** merges.txt: a "#version" header, then one "left right" pair per line, best first. */
function parseMerges(text: string, source: string): string[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const start = lines[0]?.startsWith('#version') ? 1 : 0;
  const merges = lines.slice(start).filter((line) => line.length > 0).slice(0, MERGE_COUNT);
  const bad = merges.find((line) => line.split(' ').length !== 2);
  if (bad !== undefined) throw new Error(`${source}/merges.txt: ${JSON.stringify(bad)} is not a "left right" pair`);
  return merges;
}
