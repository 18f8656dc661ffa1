/**
 * Special tokens and the sequence length from a Hugging Face tokenizer folder's `tokenizer_config.json` and
 * `special_tokens_map.json` (the latter wins, as in transformers). Missing values take CLIPTokenizer's defaults.
 * SDXL's two tokenizers differ only here: `tokenizer/` pads with "<|endoftext|>", `tokenizer_2/` with "!".
 */

export interface SpecialTokens {
  bos: string;
  eos: string;
  pad: string;
  unk: string;
  /** Sequence length including bos and eos (CLIP: 77). */
  maxLength: number;
}

const DEFAULTS: SpecialTokens = {
  bos: '<|startoftext|>',
  eos: '<|endoftext|>',
  pad: '<|endoftext|>',
  unk: '<|endoftext|>',
  maxLength: 77,
};

const TOKEN_KEYS = { bos: 'bos_token', eos: 'eos_token', pad: 'pad_token', unk: 'unk_token' } as const;

/** Both arguments are parsed JSON or undefined when the file is absent; `source` names the folder in errors. */
export function parseSpecialTokens(tokenizerConfig: unknown, specialTokensMap: unknown, source: string): SpecialTokens {
  const config = asObject(tokenizerConfig, `${source}/tokenizer_config.json`);
  const map = asObject(specialTokensMap, `${source}/special_tokens_map.json`);
  const result: SpecialTokens = { ...DEFAULTS };
  for (const [field, key] of Object.entries(TOKEN_KEYS) as [keyof typeof TOKEN_KEYS, string][]) {
    const fromMap = tokenContent(map[key], `${source}/special_tokens_map.json ${key}`);
    const fromConfig = tokenContent(config[key], `${source}/tokenizer_config.json ${key}`);
    result[field] = fromMap ?? fromConfig ?? DEFAULTS[field];
  }
  const maxLength = config.model_max_length;
  if (maxLength !== undefined) {
    // transformers writes 1e30 when no length is known; CLIP needs a real one (its position embeddings are fixed).
    if (!Number.isInteger(maxLength) || (maxLength as number) < 2 || (maxLength as number) > 1_000_000) {
      throw new Error(`${source}/tokenizer_config.json model_max_length ${JSON.stringify(maxLength)} is not a usable length`);
    }
    result.maxLength = maxLength as number;
  }
  return result;
}

function asObject(json: unknown, file: string): Record<string, unknown> {
  if (json === undefined) return {};
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** A token is written either as a string or as an AddedToken object `{ "content": "…", … }`. */
function tokenContent(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new Error(`${where} ${JSON.stringify(value)} is neither a string nor {"content": string}`);
}
