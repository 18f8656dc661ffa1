/**
 * The SDXL inpainting pipeline (spec §10), top to bottom. Each variation has its own generator seeded with its seed
 * and its own scheduler, and draws its random numbers in diffusers' order (§5.2), so a variation's image does not
 * depend on whether it was batched with others. Everything a denoising step touches is allocated before the loop;
 * a step only scales latents into the UNet feed, runs the UNet, applies CFG and steps the schedulers.
 */
import { CancelledError, EngineError } from '../errors';
import type { EngineImage, EngineJob, EngineOutput, EngineRunContext } from '../engine-io';
import { outputAsFloat32 } from '../runtime/session';
import type { ModelSession } from '../runtime/session';
import type { TensorFeed } from '../runtime/tensor-feed';
import { applyGuidance } from './guidance';
import { prepareInpaintInputs, VAE_SCALE } from './inpaint-inputs';
import { reusedFeed } from './reused-buffers';
import { latentPreview } from './latent-preview';
import { zeroEmbedding } from './prompt-encoder';
import type { PromptEmbedding } from './prompt-encoder';
import { createGenerator } from './random';
import { createScheduler, stepsForStrength } from './schedulers';
import type { SdxlModels } from './sdxl-models';
import { MEAN_SOURCE, SoftBlend } from './soft-inpainting';
import { buildTimeIds } from './time-ids';
import { LATENT_CHANNELS, sampleLatent } from './vae';

/** UNet input channels: 4 noisy latent | 1 mask | 4 masked-image latent. */
const UNET_CHANNELS = 2 * LATENT_CHANNELS + 1;
const DEFAULT_PREVIEW_EVERY = 4;

export interface InpaintOptions {
  /** All variations in one UNet batch (2·n with CFG) instead of one variation after another. */
  batchVariations: boolean;
  /** A preview is attached to every `previewEvery`-th step's progress event (and the last). */
  previewEvery?: number;
}

function checkJob(job: EngineJob): void {
  if (job.seeds.length === 0) throw new EngineError('the job has no seeds: one seed per variation is required');
  if (!Number.isInteger(job.steps) || job.steps < 1) throw new EngineError(`steps ${job.steps} is not a positive integer`);
  if (!(job.strength > 0 && job.strength <= 1)) throw new EngineError(`strength ${job.strength} is outside (0, 1]`);
  if (!Number.isFinite(job.guidance) || job.guidance < 0) throw new EngineError(`guidance ${job.guidance} is not a non-negative number`);
  if (!(job.guidanceRescale >= 0 && job.guidanceRescale <= 1)) throw new EngineError(`guidance rescale ${job.guidanceRescale} is outside [0, 1]`);
}

function truncationWarning(which: string, embedding: PromptEmbedding): string[] {
  const cut = embedding.truncatedTokens;
  return cut > 0 ? [`${which}: ${cut} token${cut === 1 ? '' : 's'} beyond the 77-token limit ${cut === 1 ? 'was' : 'were'} ignored`] : [];
}

/** The UNet's feeds for one batch layout, set once per job (and kept for the next job of the same layout). */
interface UnetFeeds {
  all: Record<string, TensorFeed>;
  sample: TensorFeed;
  timestep: TensorFeed;
}

function createUnetFeeds(
  unet: ModelSession,
  batch: number,
  latentHeight: number,
  latentWidth: number,
  rows: readonly { embedding: PromptEmbedding; timeIds: Float32Array }[],
): UnetFeeds {
  const { sequence, hiddenSize } = rows[0].embedding;
  const pooledSize = rows[0].embedding.pooled.length;
  const idsSize = rows[0].timeIds.length;
  const sample = reusedFeed(unet, 'sample', [batch, UNET_CHANNELS, latentHeight, latentWidth]);
  // optimum ≥ 1.24 exports a scalar timestep; older exports take one per batch row.
  const timestep = reusedFeed(unet, 'timestep', unet.input('timestep').shape.length === 0 ? [] : [batch]);
  const hidden = reusedFeed(unet, 'encoder_hidden_states', [batch, sequence, hiddenSize]);
  const pooled = reusedFeed(unet, 'text_embeds', [batch, pooledSize]);
  const timeIds = reusedFeed(unet, 'time_ids', [batch, idsSize]);
  rows.forEach((row, b) => {
    hidden.set(row.embedding.hidden, b * sequence * hiddenSize);
    pooled.set(row.embedding.pooled, b * pooledSize);
    timeIds.set(row.timeIds, b * idsSize);
  });
  return { all: { sample, timestep, encoder_hidden_states: hidden, text_embeds: pooled, time_ids: timeIds }, sample, timestep };
}

export async function inpaint(models: SdxlModels, job: EngineJob, context: EngineRunContext, options: InpaintOptions): Promise<EngineOutput> {
  // Decoded variations; a cancel hands over those that finished.
  const images: EngineImage[] = [];
  const throwIfCancelled = (): void => {
    if (context.isCancelled()) throw new CancelledError(images);
  };

  // 1. Check the job and derive the sizes.
  checkJob(job);
  const { width, height, seeds } = job;
  const { summary, schedulerConfig } = models.folder;
  const scalingFactor = summary.vaeScalingFactor;
  const inputs = prepareInpaintInputs(width, height, job.image, job.mask);
  const latentWidth = width / VAE_SCALE;
  const latentHeight = height / VAE_SCALE;
  const plane = latentWidth * latentHeight;
  const latentSize = LATENT_CHANNELS * plane;
  const variations = seeds.length;
  const useCfg = job.guidance > 1;
  const warnings: string[] = [];
  context.onProgress({ phase: 'preparing', variation: null, step: 0, steps: job.steps });

  // 2. Encode the prompts: negative only with CFG; an absent negative is all zeros (force_zeros_for_empty_prompt).
  // Low memory: the text encoders go as soon as encoding is over, also when it failed.
  let positive: PromptEmbedding;
  let negative: PromptEmbedding | null = null;
  try {
    positive = await models.prompts.encode(job.prompt);
    if (useCfg) {
      negative =
        job.negativePrompt === undefined && summary.forceZerosForEmptyPrompt
          ? zeroEmbedding(positive)
          : await models.prompts.encode(job.negativePrompt ?? '');
    }
  } finally {
    if (models.lowMemory) await models.prompts.releaseSessions();
  }
  warnings.push(...truncationWarning('prompt', positive));
  if (negative !== null) warnings.push(...truncationWarning('negative prompt', negative));

  // 3. Micro-conditioning: [H, W, 0, 0, H, W] at the working size, for both rows.
  const timeIds = buildTimeIds(height, width, summary.requiresAestheticsScore);

  // 4. Schedule: strength skips the first steps; one scheduler and one generator per variation.
  const { startIndex, stepsToRun } = stepsForStrength(job.steps, job.strength);
  if (stepsToRun < 1) throw new EngineError(`strength ${job.strength} with ${job.steps} steps leaves no step to run; raise either`);
  const schedulers = seeds.map(() => createScheduler(job.scheduler, schedulerConfig, job.steps));
  const generators = seeds.map((seed) => createGenerator(seed));
  // Soft-edge denoising (soft-inpainting.ts); without it every step below is diffusers' own.
  const soft = job.softInpainting ? new SoftBlend(job.mask, width, height, job.steps) : null;

  // 5. VAE-encode the image (when strength < 1 keeps some of it, or soft edges need it) and the masked image, once.
  throwIfCancelled();
  const fullStrength = job.strength === 1;
  const encodedImage = fullStrength && soft === null ? null : await models.vaeEncoder.encode(inputs.image, width, height);
  throwIfCancelled();
  const encodedMasked = await models.vaeEncoder.encode(inputs.maskedImage, width, height);

  // 6. Initial latents per variation, drawing in diffusers' order: image sample, initial noise, masked-image sample.
  const latents = seeds.map(() => new Float32Array(latentSize));
  const maskedLatents = seeds.map(() => new Float32Array(latentSize));
  const scratch = new Float32Array(latentSize);
  const noise = new Float32Array(latentSize);
  for (let v = 0; v < variations; v++) {
    const generator = generators[v];
    // At full strength the soft blend takes the image's mean latent: no draw, so the random sequence stays diffusers'.
    if (encodedImage !== null) sampleLatent(encodedImage, fullStrength ? MEAN_SOURCE : generator, scalingFactor, scratch);
    generator.normal(noise);
    soft?.keep(v, scratch, noise);
    if (fullStrength) {
      const sigma = schedulers[v].initNoiseSigma;
      for (let i = 0; i < latentSize; i++) latents[v][i] = noise[i] * sigma;
    } else {
      schedulers[v].addNoise(scratch, noise, startIndex, latents[v]);
    }
    sampleLatent(encodedMasked, generator, scalingFactor, maskedLatents[v]);
  }

  // 7. UNet feeds for one group (all variations, or one): rows [negative × group, positive × group].
  const groupSize = options.batchVariations ? variations : 1;
  const batch = useCfg ? 2 * groupSize : groupSize;
  const rows = Array.from({ length: batch }, (_, b) =>
    useCfg && b < groupSize && negative !== null
      ? { embedding: negative, timeIds: timeIds.negative }
      : { embedding: positive, timeIds: timeIds.positive },
  );
  const feeds = createUnetFeeds(models.unet, batch, latentHeight, latentWidth, rows);
  const itemSize = UNET_CHANNELS * plane;
  for (let b = 0; b < batch; b++) feeds.sample.set(inputs.latentMask, b * itemSize + latentSize);
  const outputName = models.unet.outputs.has('out_sample') ? 'out_sample' : [...models.unet.outputs.keys()][0];
  // fp16 UNets: the prediction is decoded into this buffer; float32 predictions are read in place.
  const decodedPrediction = models.unet.outputs.get(outputName)?.type === 'float32' ? undefined : new Float32Array(batch * latentSize);
  const guided = useCfg ? new Float32Array(groupSize * latentSize) : null;
  const previewEvery = options.previewEvery ?? DEFAULT_PREVIEW_EVERY;
  const previewLatents = new Float32Array(latentSize);

  // 8. Denoise each group.
  for (let first = 0; first < variations; first += groupSize) {
    // Masked-image latents of this group's variations, in both CFG halves.
    for (let j = 0; j < groupSize; j++) {
      for (const b of useCfg ? [j, groupSize + j] : [j]) feeds.sample.set(maskedLatents[first + j], b * itemSize + latentSize + plane);
    }
    for (let i = 0; i < stepsToRun; i++) {
      const stepIndex = startIndex + i;
      throwIfCancelled();
      for (let j = 0; j < groupSize; j++) {
        const offset = j * itemSize;
        soft?.pin(first + j, i, stepIndex, schedulers[first + j], latents[first + j]);
        schedulers[first + j].scaleModelInput(latents[first + j], stepIndex, feeds.sample.float32(offset, latentSize));
        feeds.sample.commit(offset, latentSize);
        if (useCfg) feeds.sample.copyWithin((groupSize + j) * itemSize, offset, offset + latentSize);
      }
      feeds.timestep.float32().fill(schedulers[first].timesteps[stepIndex]);
      feeds.timestep.commit();

      const result = await models.unet.run(feeds.all, [outputName]);
      const output = result[outputName];
      const prediction = outputAsFloat32(output, 'unet', output.type === 'float32' ? undefined : decodedPrediction);
      if (prediction.length !== batch * latentSize) {
        throw new EngineError(`unet: output has ${prediction.length} values, expected ${batch * latentSize} ([${batch}, 4, ${latentHeight}, ${latentWidth}])`);
      }
      let epsilon = prediction;
      if (guided !== null) {
        applyGuidance(prediction, groupSize, job.guidance, job.guidanceRescale, guided);
        epsilon = guided;
      }
      const done = i + 1;
      const withPreview = done % previewEvery === 0 || done === stepsToRun;
      if (withPreview) {
        // The x0 prediction reads better than noisy latents: the UNet input is VP-normalised for every scheduler
        // (x_in = α·x0 + σα·ε, α = 1/sqrt(σ²+1)), so x0 = x_in·sqrt(σ²+1) − σ·ε.
        const sigma = schedulers[first].sigmas[stepIndex];
        const input = feeds.sample.float32(0, latentSize);
        const scale = Math.sqrt(sigma * sigma + 1);
        for (let k = 0; k < latentSize; k++) previewLatents[k] = input[k] * scale - sigma * epsilon[k];
      }
      for (let j = 0; j < groupSize; j++) {
        const scheduler = schedulers[first + j];
        if (scheduler.needsNoise) generators[first + j].normal(noise);
        const eps = epsilon.subarray(j * latentSize, (j + 1) * latentSize);
        scheduler.step(eps, stepIndex, latents[first + j], scheduler.needsNoise ? noise : undefined);
      }

      context.onProgress({
        phase: 'denoising',
        variation: options.batchVariations ? null : first,
        step: done,
        steps: stepsToRun,
        ...(withPreview ? { preview: latentPreview(previewLatents, latentWidth, latentHeight) } : {}),
      });
    }

    // 9. Decode the group's variations (so a cancel keeps them): latents / scaling_factor → VAE → RGB; NaN/Inf is
    // refused with its cause.
    for (let v = first; v < first + groupSize; v++) {
      throwIfCancelled();
      context.onProgress({ phase: 'finishing', variation: v, step: stepsToRun, steps: stepsToRun });
      const rgb = await models.vaeDecoder.decode(latents[v], width, height, scalingFactor);
      images.push({ seed: seeds[v], width, height, rgb });
    }
  }
  return { images, warnings };
}
