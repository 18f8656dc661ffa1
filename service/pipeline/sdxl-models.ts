/**
 * The loaded SDXL inpainting model: configs plus one session per graph, created once and reused by every job.
 */
import { EngineError } from '../errors';
import { ModelSession } from '../runtime/session';
import type { ProviderName, Runtime } from '../runtime/runtime';
import { unetChannelsProblem } from './model-folder';
import type { GraphComponent, ModelFolder } from './model-folder';
import { PromptEncoder } from './prompt-encoder';
import { VaeDecoder, VaeEncoder } from './vae';

export const UNET_INPUTS = ['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids'] as const;

export interface SdxlModels {
  folder: ModelFolder;
  provider: ProviderName;
  prompts: PromptEncoder;
  unet: ModelSession;
  vaeEncoder: VaeEncoder;
  vaeDecoder: VaeDecoder;
  /** Release the text encoders after each job's prompts are encoded. */
  lowMemory: boolean;
  /** Precision as users say it: "fp32", "fp16", or e.g. "fp16 (VAE fp32)". */
  dtype: string;
  release(): Promise<void>;
}

function precision(type: string): string {
  return type === 'float16' ? 'fp16' : type === 'float32' ? 'fp32' : type;
}

/** Refuses a UNet this pipeline cannot drive, from the graph itself (the config may lie or be stale). */
export function checkUnetGraph(unet: ModelSession): void {
  const missing = UNET_INPUTS.filter((name) => !unet.inputs.has(name));
  if (missing.length > 0) {
    throw new EngineError(`unet: the graph lacks the SDXL inputs ${missing.join(', ')} (has ${[...unet.inputs.keys()].join(', ')})`);
  }
  const channels = unet.input('sample').shape[1];
  if (typeof channels === 'number' && channels !== 9) throw new EngineError(unetChannelsProblem(channels));
  const rank = unet.input('timestep').shape.length;
  if (rank > 1) throw new EngineError(`unet: input "timestep" has rank ${rank}; expected a scalar or a [batch] vector`);
}

export async function createSession(
  runtime: Runtime,
  folder: ModelFolder,
  component: GraphComponent,
  provider: ProviderName,
  cpuNodes: readonly string[] = [],
): Promise<ModelSession> {
  return ModelSession.create(runtime, folder.graphPath(component), { provider, label: component, cpuNodes });
}

/** `unetCpuNodes`: UNet nodes to run on CPU (the provider self-test's workaround), usually none. */
export async function loadSdxlModels(
  runtime: Runtime,
  folder: ModelFolder,
  provider: ProviderName,
  lowMemory: boolean,
  unetCpuNodes: readonly string[] = [],
): Promise<SdxlModels> {
  const opened: ModelSession[] = [];
  const open = async (component: GraphComponent): Promise<ModelSession> => {
    const session = await createSession(runtime, folder, component, provider, component === 'unet' ? unetCpuNodes : []);
    opened.push(session);
    return session;
  };
  let prompts: PromptEncoder | null = null;
  try {
    // One at a time: peak memory while loading stays at one graph being optimised.
    const unet = await open('unet');
    checkUnetGraph(unet);
    const vaeEncoder = await open('vae_encoder');
    const vaeDecoder = await open('vae_decoder');
    prompts = await PromptEncoder.create(runtime, folder, provider, lowMemory);
    const unetType = precision(unet.input('sample').type);
    const vaeType = precision(vaeDecoder.input('latent_sample').type);
    const loadedPrompts = prompts;
    return {
      folder,
      provider,
      prompts,
      unet,
      vaeEncoder: new VaeEncoder(vaeEncoder),
      vaeDecoder: new VaeDecoder(vaeDecoder),
      lowMemory,
      dtype: unetType === vaeType ? unetType : `${unetType} (VAE ${vaeType})`,
      release: async () => {
        await loadedPrompts.releaseSessions();
        await Promise.all(opened.map((s) => s.release()));
      },
    };
  } catch (error) {
    await prompts?.releaseSessions();
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw error;
  }
}
