/**
 * Prompt encoding (spec §2): both CLIP encoders, per-token embedding = the second-to-last hidden state of each
 * (te1 768 | te2 1280 → [77, 2048]), pooled = text_embeds of encoder 2. Results are cached by prompt text, so a job
 * that repeats a prompt (the usual case while iterating on a fill) skips both encoders. With `lowMemory` the encoder
 * sessions are released after each job's encoding and recreated when a prompt misses the cache.
 */
import { EngineError } from '../errors';
import { ModelSession, outputAsFloat32 } from '../runtime/session';
import type { ProviderName, Runtime } from '../runtime/runtime';
import { LruCache } from './lru-cache';
import type { ModelFolder } from './model-folder';
import { ClipTokenizer } from './tokenizer';

export interface PromptEmbedding {
  /** [sequence, hiddenSize] row-major, te1 features first. */
  hidden: Float32Array;
  /** [pooledSize]. */
  pooled: Float32Array;
  sequence: number;
  hiddenSize: number;
  /** Tokens cut by the 77-token limit (the larger of the two tokenizers' counts). */
  truncatedTokens: number;
}

const CACHE_ENTRIES = 16;

/** ORT output name of hidden_states[-2]: optimum emits hidden_states.0 … hidden_states.L; SDXL uses L−1. */
export function penultimateHiddenState(outputNames: Iterable<string>, label: string): string {
  let last = -1;
  for (const name of outputNames) {
    const match = /^hidden_states\.(\d+)$/.exec(name);
    if (match) last = Math.max(last, Number(match[1]));
  }
  if (last < 1) {
    throw new EngineError(
      `${label}: the graph has no hidden_states.N outputs; export it with optimum (SDXL exports set output_hidden_states)`,
    );
  }
  return `hidden_states.${last - 1}`;
}

interface Encoders {
  first: ModelSession;
  second: ModelSession;
}

export class PromptEncoder {
  private readonly cache = new LruCache<string, PromptEmbedding>(CACHE_ENTRIES);
  private encoders: Encoders | null = null;

  private constructor(
    private readonly runtime: Runtime,
    private readonly folder: ModelFolder,
    private readonly provider: ProviderName,
    private readonly tokenizers: readonly [ClipTokenizer, ClipTokenizer],
  ) {}

  static async create(runtime: Runtime, folder: ModelFolder, provider: ProviderName, lowMemory: boolean): Promise<PromptEncoder> {
    const tokenizers = [
      await ClipTokenizer.fromFolder(folder.tokenizerDir('tokenizer')),
      await ClipTokenizer.fromFolder(folder.tokenizerDir('tokenizer_2')),
    ] as const;
    const encoder = new PromptEncoder(runtime, folder, provider, tokenizers);
    if (!lowMemory) await encoder.sessions();
    return encoder;
  }

  /** Embeddings of `text`, from the cache when this prompt was encoded before. */
  async encode(text: string): Promise<PromptEmbedding> {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const { first, second } = await this.sessions();
    const tokens1 = this.tokenizers[0].encode(text);
    const tokens2 = this.tokenizers[1].encode(text);
    const hidden1 = await runHidden(first, tokens1.ids);
    const hidden2 = await runHidden(second, tokens2.ids, 'text_embeds');
    const sequence = tokens1.ids.length;
    if (tokens2.ids.length !== sequence) {
      throw new EngineError(`tokenizers disagree on the sequence length (${sequence} vs ${tokens2.ids.length})`);
    }
    const size1 = hidden1.hidden.length / sequence;
    const size2 = hidden2.hidden.length / sequence;
    const hiddenSize = size1 + size2;
    const hidden = new Float32Array(sequence * hiddenSize);
    for (let t = 0; t < sequence; t++) {
      hidden.set(hidden1.hidden.subarray(t * size1, (t + 1) * size1), t * hiddenSize);
      hidden.set(hidden2.hidden.subarray(t * size2, (t + 1) * size2), t * hiddenSize + size1);
    }
    const pooled = hidden2.pooled;
    if (pooled === null) throw new EngineError('text_encoder_2: no text_embeds output');
    const embedding: PromptEmbedding = {
      hidden,
      pooled,
      sequence,
      hiddenSize,
      truncatedTokens: Math.max(tokens1.truncatedTokens, tokens2.truncatedTokens),
    };
    this.cache.set(text, embedding);
    return embedding;
  }

  /** Releases the encoder sessions (low-memory mode, after a job's prompts are encoded); the cache stays. */
  async releaseSessions(): Promise<void> {
    const encoders = this.encoders;
    this.encoders = null;
    if (encoders !== null) await Promise.all([encoders.first.release(), encoders.second.release()]);
  }

  get sessionsLoaded(): boolean {
    return this.encoders !== null;
  }

  private async sessions(): Promise<Encoders> {
    if (this.encoders === null) {
      // One after the other, like the other graphs (peak memory), and no session left behind when the second fails.
      const first = await ModelSession.create(this.runtime, this.folder.graphPath('text_encoder'), { provider: this.provider, label: 'text_encoder' });
      let second: ModelSession;
      try {
        second = await ModelSession.create(this.runtime, this.folder.graphPath('text_encoder_2'), { provider: this.provider, label: 'text_encoder_2' });
      } catch (error) {
        await first.release();
        throw error;
      }
      this.encoders = { first, second };
    }
    return this.encoders;
  }
}

/** The all-zero negative conditioning diffusers uses for an absent negative prompt (force_zeros_for_empty_prompt). */
export function zeroEmbedding(like: PromptEmbedding): PromptEmbedding {
  return {
    hidden: new Float32Array(like.hidden.length),
    pooled: new Float32Array(like.pooled.length),
    sequence: like.sequence,
    hiddenSize: like.hiddenSize,
    truncatedTokens: 0,
  };
}

async function runHidden(
  session: ModelSession,
  ids: Int32Array,
  pooledName?: string,
): Promise<{ hidden: Float32Array; pooled: Float32Array | null }> {
  const hiddenName = penultimateHiddenState(session.outputs.keys(), session.label);
  const feed = session.createFeed('input_ids', [1, ids.length]);
  feed.set(ids);
  const fetch = pooledName === undefined ? [hiddenName] : [hiddenName, pooledName];
  const result = await session.run({ input_ids: feed }, fetch);
  // Copies: the cache outlives the output tensors.
  const hidden = outputAsFloat32(result[hiddenName], session.label).slice();
  const pooled = pooledName === undefined ? null : outputAsFloat32(result[pooledName], session.label).slice();
  return { hidden, pooled };
}
