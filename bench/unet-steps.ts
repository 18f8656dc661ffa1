/**
 * Times UNet steps of any SDXL-inpainting-shaped `unet/model.onnx` on one provider, through the runtime port: feeds
 * take the graph's declared types and fixed sizes, and SDXL's sizes where an axis is symbolic (batch 2 = one
 * variation with CFG, 128×128 latents = 1024², 77 tokens × 2048, 1280 pooled, 6 time ids). Used by
 * `providers.bench.ts` (here) and `gpu.ts` (the device check).
 */
import { ModelSession } from '../service/runtime/session';
import type { ProviderName, Runtime } from '../service/runtime/runtime';
import type { TensorFeed } from '../service/runtime/tensor-feed';

export interface UnetStepOptions {
  provider: ProviderName;
  tuned: boolean;
  cpuNodes?: readonly string[];
  /** Timed runs after one warm-up run. */
  runs: number;
  batch?: number;
  latentSize?: number;
}

export interface UnetStepTiming {
  provider: ProviderName;
  tuned: boolean;
  cpuNodes: readonly string[];
  /** e.g. "sample float16[2, 9, 128, 128]". */
  shapes: string;
  createMs: number;
  warmupMs: number;
  stepMs: number[];
  minMs: number;
  medianMs: number;
}

const SDXL_DEFAULTS: Record<string, readonly number[]> = {
  encoder_hidden_states: [77, 2048],
  text_embeds: [1280],
  time_ids: [6],
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Dims for input `name`: declared numbers kept, symbolic axes filled with SDXL's sizes. */
function dimsFor(session: ModelSession, name: string, batch: number, latent: number): number[] {
  const shape = session.input(name).shape;
  if (shape.length === 0) return [];
  if (name === 'timestep') return [batch];
  const fallback = name === 'sample' ? [9, latent, latent] : (SDXL_DEFAULTS[name] ?? []);
  return shape.map((d, i) => (i === 0 ? batch : typeof d === 'number' && d > 0 ? d : (fallback[i - 1] ?? 1)));
}

function fill(feed: TensorFeed, name: string, latent: number): void {
  const values = feed.float32();
  if (name === 'timestep') values.fill(500);
  else if (name === 'time_ids') for (let i = 0; i < values.length; i++) values[i] = [8 * latent, 8 * latent, 0, 0, 8 * latent, 8 * latent][i % 6];
  // Deterministic, zero-mean, unit-scale values: what latents and embeddings look like to the kernels.
  else for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.7071 + 0.5);
  feed.commit();
}

export async function timeUnetSteps(runtime: Runtime, unetPath: string, options: UnetStepOptions): Promise<UnetStepTiming> {
  const batch = options.batch ?? 2;
  const latent = options.latentSize ?? 128;
  const cpuNodes = options.cpuNodes ?? [];
  const started = performance.now();
  const session = await ModelSession.create(runtime, unetPath, { provider: options.provider, label: 'unet', cpuNodes, tuned: options.tuned });
  const createMs = performance.now() - started;
  try {
    const feeds: Record<string, TensorFeed> = {};
    for (const name of session.inputs.keys()) {
      feeds[name] = session.createFeed(name, dimsFor(session, name, batch, latent));
      fill(feeds[name], name, latent);
    }
    const output = session.hasOutput('out_sample') ? 'out_sample' : [...session.outputs.keys()][0];
    const warm = performance.now();
    await session.run(feeds, [output]);
    const warmupMs = performance.now() - warm;
    const stepMs: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      const start = performance.now();
      await session.run(feeds, [output]);
      stepMs.push(performance.now() - start);
    }
    const sample = feeds.sample;
    return {
      provider: options.provider,
      tuned: options.tuned,
      cpuNodes,
      shapes: `sample ${sample.type}[${sample.dims.join(', ')}]`,
      createMs,
      warmupMs,
      stepMs,
      minMs: Math.min(...stepMs),
      medianMs: median(stepMs),
    };
  } finally {
    await session.release();
  }
}
