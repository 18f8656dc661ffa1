/**
 * The `sdxl` engine: an optimum ONNX export of SDXL inpainting on onnxruntime-node. Loading (folder validation,
 * provider choice, session creation) starts at construction and runs in the background; sessions are then reused by
 * every job. Jobs run one at a time.
 */
import type { ExecutionProviderChoice } from '../../../core/params';
import type { EngineStatus, ModelIdentity } from '../../../core/protocol';
import { resolveModelSource } from '../../models/model-source';
import { inpaint } from '../../pipeline/inpaint';
import { loadModelFolder } from '../../pipeline/model-folder';
import { loadSdxlModels } from '../../pipeline/sdxl-models';
import type { SdxlModels } from '../../pipeline/sdxl-models';
import { isProviderAvailable, providerCandidates, providerProblem } from '../../runtime/providers';
import { ProviderError } from '../../runtime/session';
import { EngineError } from '../engine';
import type { Engine, EngineJob, EngineOutput, EngineRunContext } from '../engine';

export interface SdxlEngineOptions {
  modelDir: string;
  /** Diffusers folder whose configs a single-file model uses. */
  configFrom?: string;
  provider: ExecutionProviderChoice;
  /** Release text-encoder sessions after encoding, recreate when needed. */
  lowMemory: boolean;
  /** All variations in one UNet batch (2·n) vs one variation at a time. */
  batchVariations: boolean;
  log?: (line: string) => void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function loadWithProvider(options: SdxlEngineOptions, log: (line: string) => void, onIdentity: (identity: ModelIdentity) => void): Promise<SdxlModels> {
  // A diffusers folder, HF repo id or single file becomes an optimum-layout folder (graphs built once, cached).
  const resolved = await resolveModelSource(options.modelDir, { configFrom: options.configFrom, log: (line) => log(`sdxl: ${line}`) });
  onIdentity(resolved.identity);
  const folder = await loadModelFolder(resolved.dir);
  if (options.provider !== 'auto' && !isProviderAvailable(options.provider)) {
    throw new EngineError(providerProblem(options.provider));
  }
  const candidates = providerCandidates(options.provider);
  let lastError: unknown = null;
  for (const provider of candidates) {
    try {
      log(`sdxl: loading ${options.modelDir} on ${provider}`);
      return await loadSdxlModels(folder, provider, options.lowMemory);
    } catch (error) {
      lastError = error;
      // `auto` moves on from a GPU provider that does not work here; anything else (a 4-channel UNet, a bad
      // config) would fail on CPU as well, after loading the whole model again.
      if (options.provider !== 'auto' || provider === 'cpu' || !(error instanceof ProviderError)) break;
      log(`sdxl: ${provider} failed (${messageOf(error)}); trying the next provider`);
    }
  }
  throw lastError instanceof EngineError ? lastError : new EngineError(`sdxl: loading failed: ${messageOf(lastError)}`, { cause: lastError });
}

/** Returns immediately; loading starts in the background and status() reports loading → ready | failed. run() waits for loading. */
export function createSdxlEngine(options: SdxlEngineOptions): Engine {
  const log = options.log ?? (() => undefined);
  let status: EngineStatus = { name: 'sdxl', state: 'loading', model: options.modelDir, provider: null, dtype: null, reason: null, identity: null };
  let disposed = false;
  const loading: Promise<SdxlModels> = loadWithProvider(options, log, (identity) => (status = { ...status, identity })).then(
    (models) => {
      status = { ...status, state: 'ready', provider: models.provider, dtype: models.dtype };
      log(`sdxl: ready on ${models.provider} (${models.dtype})`);
      return models;
    },
    (error: unknown) => {
      status = { ...status, state: 'failed', reason: messageOf(error) };
      log(`sdxl: failed: ${messageOf(error)}`);
      throw error;
    },
  );
  // The rejection is reported through status() and run(); do not let it surface as unhandled.
  loading.catch(() => undefined);
  let queue: Promise<unknown> = Promise.resolve();

  const runJob = async (job: EngineJob, context: EngineRunContext): Promise<EngineOutput> => {
    if (disposed) throw new EngineError('the sdxl engine was disposed');
    if (status.state === 'loading') context.onProgress({ phase: 'loading', variation: null, step: 0, steps: job.steps });
    const models = await loading;
    return inpaint(models, job, context, { batchVariations: options.batchVariations });
  };

  return {
    name: 'sdxl',
    status: () => ({ ...status }),
    run(job, context) {
      const result = queue.then(() => runJob(job, context));
      queue = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      disposed = true;
      await queue;
      const models = await loading.catch(() => null);
      await models?.release();
    },
  };
}
