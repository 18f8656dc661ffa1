/**
 * Execution providers: one frozen table from the user's choice to the onnxruntime-node EP config, per platform, with
 * what to install when it is missing. `auto` walks the platform's GPU providers, then CPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderChoice } from '../../core/params';

export type ProviderName = Exclude<ExecutionProviderChoice, 'auto'>;

interface ProviderEntry {
  /** What onnxruntime-node is given in `executionProviders`. */
  readonly config: InferenceSession.ExecutionProviderConfig;
  /** Platforms (process.platform) where the prebuilt onnxruntime-node ships or can fetch this provider. */
  readonly platforms: readonly NodeJS.Platform[];
  /** Provider libraries that must sit next to the binding (downloaded, not bundled); empty when bundled. */
  readonly libraries: Partial<Record<NodeJS.Platform, readonly string[]>>;
  /** What to do when it is missing or fails to load. */
  readonly hint: string;
}

// The environment variable overrides the repository's .npmrc (onnxruntime-node-install=skip) and works whether or
// not npm runs install scripts.
const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

const PROVIDER_TABLE: Record<ProviderName, ProviderEntry> = {
  cpu: { config: 'cpu', platforms: ['linux', 'win32', 'darwin'], libraries: {}, hint: 'always available' },
  cuda: {
    config: 'cuda',
    platforms: ['linux', 'win32'],
    libraries: { linux: ['libonnxruntime_providers_cuda.so'], win32: ['onnxruntime_providers_cuda.dll'] },
    hint: `needs an NVIDIA GPU with CUDA 12 and cuDNN 9 installed, and the CUDA provider files: run \`${CUDA_INSTALL}\``,
  },
  tensorrt: {
    config: 'tensorrt',
    platforms: ['linux', 'win32'],
    libraries: { linux: ['libonnxruntime_providers_tensorrt.so'], win32: ['onnxruntime_providers_tensorrt.dll'] },
    hint: `needs CUDA 12, cuDNN 9 and TensorRT 10 installed, and the provider files: run \`${CUDA_INSTALL}\``,
  },
  dml: {
    config: 'dml',
    platforms: ['win32'],
    libraries: {},
    hint: 'DirectML runs on Windows 10+ with a DirectX 12 GPU; on other systems use cuda, coreml or cpu',
  },
  coreml: {
    config: 'coreml',
    platforms: ['darwin'],
    libraries: {},
    hint: 'CoreML runs on macOS only; on other systems use cuda, dml or cpu',
  },
  webgpu: {
    config: 'webgpu',
    platforms: ['linux', 'win32', 'darwin'],
    libraries: {},
    hint: 'needs a GPU with a working Vulkan (Linux), D3D12 (Windows) or Metal (macOS) driver',
  },
};
export const PROVIDERS: Readonly<Record<ProviderName, Readonly<ProviderEntry>>> = Object.freeze(PROVIDER_TABLE);

/** Order `auto` tries, per platform: GPU providers first, CPU last. TensorRT is never automatic (minutes-long engine builds). */
const AUTO_ORDER: Readonly<Partial<Record<NodeJS.Platform, readonly ProviderName[]>>> = Object.freeze({
  linux: ['cuda', 'cpu'],
  win32: ['cuda', 'dml', 'cpu'],
  darwin: ['coreml', 'cpu'],
});

function bindingFolder(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether this onnxruntime-node build can offer `name` here (libraries present); not whether a GPU is present. */
export function isProviderAvailable(name: ProviderName, platform: NodeJS.Platform = process.platform): boolean {
  const entry = PROVIDERS[name];
  if (!entry.platforms.includes(platform)) return false;
  const backends = listSupportedBackends();
  const backend = backends.find((b) => b.name === name);
  if (backend?.bundled) return true;
  const libraries = entry.libraries[platform] ?? [];
  if (libraries.length > 0) return libraries.every((lib) => existsSync(join(bindingFolder(), lib)));
  // Bundled-by-platform providers (dml on Windows, coreml on macOS) are not always listed by the binding.
  return backend !== undefined || name === 'dml' || name === 'coreml';
}

/** The providers to try, in order, for a choice. An explicit choice is tried alone (no silent CPU fallback). */
export function providerCandidates(choice: ExecutionProviderChoice, platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (choice !== 'auto') return [choice];
  const order = AUTO_ORDER[platform] ?? ['cpu'];
  return order.filter((name) => name === 'cpu' || isProviderAvailable(name, platform));
}

/** A user-facing message for a provider that cannot be used. */
export function providerProblem(name: ProviderName, cause?: unknown, platform: NodeJS.Platform = process.platform): string {
  const entry = PROVIDERS[name];
  const where = entry.platforms.includes(platform) ? '' : ` (not offered on ${platform})`;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `execution provider "${name}" could not be used${where}${detail}. It ${entry.hint}.`;
}

/** For `genfill doctor`: which providers this onnxruntime-node build offers here and, for the missing ones, what to install. */
export function describeExecutionProviders(): { name: string; available: boolean; hint: string }[] {
  return (Object.keys(PROVIDERS) as ProviderName[]).map((name) => {
    const available = isProviderAvailable(name);
    return { name, available, hint: available ? 'available' : PROVIDERS[name].hint };
  });
}
