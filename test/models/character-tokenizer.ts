// A stand-in CLIP tokenizer folder (vocab.json + merges.txt) for machines without ../shared/clip-tokenizer, e.g. the
// GPU device check: no merges, so every ASCII letter is its own token. The tiny text encoders accept any id, so a
// tiny model generated with it runs end to end; only the oracle's colours (which assume real CLIP ids) do not apply.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeCharacterTokenizer(dir: string): Promise<string> {
  const vocab: Record<string, number> = {};
  // Printable ASCII in CLIP's order ("!" is id 0 and tokenizer_2's pad), then each with the end-of-word mark.
  for (let code = 0x21; code <= 0x7e; code++) {
    vocab[String.fromCharCode(code)] = code - 0x21;
    vocab[`${String.fromCharCode(code)}</w>`] = 256 + code - 0x21;
  }
  vocab['<|startoftext|>'] = 49406;
  vocab['<|endoftext|>'] = 49407;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
  await writeFile(join(dir, 'merges.txt'), '#version: 0.2\n');
  return dir;
}
