/**
 * The `sdxl` engine: an optimum ONNX export of SDXL inpainting on onnxruntime-node. Loading (folder validation,
 * provider choice, session creation) starts at construction and runs in the background; sessions are then reused by
 * every job. Jobs run one at a time.
 */
import type { ExecutionProviderChoice } from '../../../core/params';
import type { EngineStatus } from '../../../core/protocol';
import type { EngineJob, EngineOutput, EngineRunContext } from '../../engine-io';
import { EngineError } from '../../errors';
import { inpaint } from '../../pipeline/inpaint';
import type { ComputeType } from '../../graphs/layers';
import type { GraphDtype } from '../../models/graph-precision';
import { resolveModelSource } from '../../models/model-source';
import { loadModelFolder } from '../../pipeline/model-folder';
import type { ModelFolder } from '../../pipeline/model-folder';
import type { SdxlModels } from '../../pipeline/sdxl-models';
import type { Runtime } from '../../runtime/runtime';
import type { Engine } from '../engine';
import { loadOnFirstWorkingProvider } from './provider-choice';

export interface SdxlEngineOptions {
  modelDir: string;
  /** Diffusers folder whose configs a single-file model uses. */
  configFrom?: string;
  /** Compute precision of graphs genfill builds (default auto: fp16 on a GPU provider, fp32 on cpu). */
  graphDtype?: GraphDtype;
  provider: ExecutionProviderChoice;
  /** Release text-encoder sessions after encoding, recreate when needed. */
  lowMemory: boolean;
  /** All variations in one UNet batch (2·n) vs one variation at a time. */
  batchVariations: boolean;
  /** Where sessions come from (onnxruntime-node in the service, a fake in tests). */
  runtime: Runtime;
  log?: (line: string) => void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns immediately; loading starts in the background and status() reports loading → ready | failed. run() waits for loading. */
export function createSdxlEngine(options: SdxlEngineOptions): Engine {
  const log = options.log ?? (() => undefined);
  let status: EngineStatus = { name: 'sdxl', state: 'loading', model: options.modelDir, provider: null, dtype: null, reason: null, identity: null };
  let disposed = false;
  // A diffusers folder, HF repo id or single file becomes an optimum-layout folder first (graphs built once per
  // compute precision, cached); the provider loop asks for the precision its provider runs best.
  const folders = new Map<ComputeType, Promise<ModelFolder>>();
  const folderFor = (compute: ComputeType): Promise<ModelFolder> => {
    let folder = folders.get(compute);
    if (folder === undefined) {
      folder = resolveModelSource(options.modelDir, { configFrom: options.configFrom, compute, log: (line) => log(`sdxl: ${line}`) }).then((resolved) => {
        status = { ...status, identity: resolved.identity };
        return loadModelFolder(resolved.dir);
      });
      folders.set(compute, folder);
    }
    return folder;
  };
  const loading: Promise<SdxlModels> = Promise.resolve()
    .then(() => loadOnFirstWorkingProvider(options.runtime, { graphDtype: options.graphDtype ?? 'auto', folderFor }, options.provider, options.lowMemory, log))
    .then(({ models, providerCheck }) => {
      status = { ...status, state: 'ready', provider: models.provider, dtype: models.dtype, ...(providerCheck === null ? {} : { providerCheck }) };
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
