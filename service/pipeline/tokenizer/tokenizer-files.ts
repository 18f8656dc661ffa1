/** Reads a Hugging Face CLIP tokenizer folder (the only file I/O of the tokenizer). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TokenizerFiles {
  vocab: unknown;
  merges: string;
  /** Parsed JSON, or undefined when the file is absent. */
  tokenizerConfig: unknown;
  specialTokensMap: unknown;
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const [vocab, merges, tokenizerConfig, specialTokensMap] = await Promise.all([
    readFile(join(dir, 'vocab.json'), 'utf8').then((text) => parseJson(text, join(dir, 'vocab.json'))),
    readFile(join(dir, 'merges.txt'), 'utf8'),
    readOptionalJson(join(dir, 'tokenizer_config.json')),
    readOptionalJson(join(dir, 'special_tokens_map.json')),
  ]);
  return { vocab, merges, tokenizerConfig, specialTokensMap };
}

async function readOptionalJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseJson(text, path);
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
