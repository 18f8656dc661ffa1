/**
 * Loading the SDXL model on the first provider that works: each GPU provider passes the self-test first (a wrong
 * provider is refused before the model loads; the known WebGPU conv bug gets its workaround), and `auto` moves on
 * from a provider that is refused or fails to load. A load that fails releases what it opened before the next try.
 * The graphs' compute precision can depend on the provider (`--graph-dtype auto`), so each try asks for the model
 * folder built for its precision.
 */
import type { ExecutionProviderChoice } from '../../../core/params';
import { EngineError } from '../../errors';
import { convNodesFedByInFile } from '../../graphs/input-conv';
import type { ComputeType } from '../../graphs/layers';
import { graphCompute } from '../../models/graph-precision';
import type { GraphDtype } from '../../models/graph-precision';
import type { ModelFolder } from '../../pipeline/model-folder';
import { loadSdxlModels } from '../../pipeline/sdxl-models';
import type { SdxlModels } from '../../pipeline/sdxl-models';
import { checkProvider, SelfTestReferenceError } from '../../runtime/probe/provider-check';
import type { ProviderVerdict } from '../../runtime/probe/provider-check';
import { providerCandidates, providerProblem } from '../../runtime/providers';
import type { ProviderName, Runtime } from '../../runtime/runtime';
import { ProviderError } from '../../runtime/session';

/** The model's graph precision setting, and its folder for a compute precision (an ONNX export: itself, whatever the precision). */
export interface ModelFolders {
  graphDtype: GraphDtype;
  folderFor(compute: ComputeType): Promise<ModelFolder>;
}

export interface LoadedModels {
  models: SdxlModels;
  /** The self-test's verdict in one line; null on CPU (the reference itself). */
  providerCheck: string | null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The self-test on `provider`; a provider that cannot even open the probe is a ProviderError like a failed load. A
 * CPU reference that fails is one too (the next candidate is tried), but its message blames the runtime, not the GPU.
 */
async function verdictFor(runtime: Runtime, provider: ProviderName): Promise<ProviderVerdict> {
  try {
    return await checkProvider(runtime, provider);
  } catch (error) {
    if (error instanceof SelfTestReferenceError) throw new ProviderError(error.message, { cause: error });
    throw new ProviderError(providerProblem(provider, error), { cause: error });
  }
}

async function loadOn(
  runtime: Runtime,
  folder: ModelFolder,
  provider: ProviderName,
  verdict: ProviderVerdict | null,
  lowMemory: boolean,
  log: (line: string) => void,
): Promise<LoadedModels> {
  if (verdict === null) return { models: await loadSdxlModels(runtime, folder, provider, lowMemory), providerCheck: null };
  let unetCpuNodes: string[] = [];
  if (verdict.kind === 'workaround') {
    unetCpuNodes = await convNodesFedByInFile(folder.graphPath('unet'), 'sample');
    if (unetCpuNodes.length === 0) {
      throw new ProviderError(`${verdict.summary}, but the UNet graph has no Conv fed by its input "sample" to move there: choose another provider`);
    }
    log(`sdxl: on CPU: ${unetCpuNodes.join(', ')}`);
  }
  return { models: await loadSdxlModels(runtime, folder, provider, lowMemory, unetCpuNodes), providerCheck: verdict.summary };
}

export async function loadOnFirstWorkingProvider(
  runtime: Runtime,
  folders: ModelFolders,
  choice: ExecutionProviderChoice,
  lowMemory: boolean,
  log: (line: string) => void,
): Promise<LoadedModels> {
  const available = runtime.availableProviders();
  if (choice !== 'auto' && !available.includes(choice)) throw new EngineError(providerProblem(choice));
  let lastError: unknown = null;
  for (const provider of providerCandidates(choice, available)) {
    try {
      // The self-test first (milliseconds): a refused provider costs no graph folder, which may mean a copy of the
      // weights where they cannot be hard-linked.
      const verdict = provider === 'cpu' ? null : await verdictFor(runtime, provider);
      if (verdict) {
        log(`sdxl: ${verdict.summary}`);
        if (verdict.kind === 'refused') throw new ProviderError(verdict.summary);
      }
      // A source that cannot be read fails here with its own error (not a ProviderError), so `auto` stops.
      const folder = await folders.folderFor(graphCompute(folders.graphDtype, provider));
      log(`sdxl: loading ${folder.dir} on ${provider}`);
      return await loadOn(runtime, folder, provider, verdict, lowMemory, log);
    } catch (error) {
      lastError = error;
      // `auto` moves on from a GPU provider that does not work here; anything else (a 4-channel UNet, a bad
      // config) would fail on CPU as well, after loading the whole model again.
      if (choice !== 'auto' || provider === 'cpu' || !(error instanceof ProviderError)) break;
      log(`sdxl: ${provider} failed (${messageOf(error)}); trying the next provider`);
    }
  }
  throw lastError instanceof EngineError ? lastError : new EngineError(`sdxl: loading failed: ${messageOf(lastError)}`, { cause: lastError });
}
