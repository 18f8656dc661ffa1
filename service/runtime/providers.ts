/**
 * Execution providers: one frozen table of where each provider exists and what to install when it is missing, and
 * the order `auto` tries them in. Which ones this runtime build offers comes from the runtime port
 * (`Runtime.availableProviders`); the options each is given live in `provider-options.ts`.
 */
import type { ExecutionProviderChoice } from '../../core/params';
import type { ProviderName } from './runtime';

interface ProviderEntry {
  /** Platforms (process.platform) where the prebuilt onnxruntime-node ships or can fetch this provider. */
  readonly platforms: readonly NodeJS.Platform[];
  /** Provider libraries that must sit next to the binding (downloaded, not bundled); empty when bundled. */
  readonly libraries: Partial<Record<NodeJS.Platform, readonly string[]>>;
  /** What to do when it is missing or fails to load. */
  readonly hint: string;
}

// package.json's allowScripts keeps npm from running this script on install (it downloads from NuGet); run by hand,
// it reads the environment variable, whatever npm would allow.
const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

const PROVIDER_TABLE: Record<ProviderName, ProviderEntry> = {
  cpu: { platforms: ['linux', 'win32', 'darwin'], libraries: {}, hint: 'always available' },
  cuda: {
    platforms: ['linux', 'win32'],
    libraries: { linux: ['libonnxruntime_providers_cuda.so'], win32: ['onnxruntime_providers_cuda.dll'] },
    hint: `needs an NVIDIA GPU with CUDA 12 and cuDNN 9 installed, and the CUDA provider files: run \`${CUDA_INSTALL}\``,
  },
  tensorrt: {
    platforms: ['linux', 'win32'],
    libraries: { linux: ['libonnxruntime_providers_tensorrt.so'], win32: ['onnxruntime_providers_tensorrt.dll'] },
    hint: `needs CUDA 12, cuDNN 9 and TensorRT 10 installed, and the provider files: run \`${CUDA_INSTALL}\``,
  },
  dml: {
    platforms: ['win32'],
    libraries: {},
    hint: 'DirectML runs on Windows 10+ with a DirectX 12 GPU; on other systems use cuda, coreml or cpu',
  },
  coreml: {
    platforms: ['darwin'],
    libraries: {},
    hint: 'CoreML runs on macOS only; on other systems use cuda, dml, webgpu or cpu',
  },
  webgpu: {
    platforms: ['linux', 'win32', 'darwin'],
    libraries: {},
    hint: 'needs a GPU with a working Vulkan (Linux), D3D12 (Windows) or Metal (macOS) driver',
  },
};
export const PROVIDERS: Readonly<Record<ProviderName, Readonly<ProviderEntry>>> = Object.freeze(PROVIDER_TABLE);

/**
 * Order `auto` tries, per platform: the platform's native GPU providers, then WebGPU (any GPU with a Vulkan, D3D12 or
 * Metal driver; checked by the provider self-test before use), then CPU. TensorRT is never automatic (minutes-long
 * engine builds).
 */
const AUTO_ORDER: Readonly<Partial<Record<NodeJS.Platform, readonly ProviderName[]>>> = Object.freeze({
  linux: ['cuda', 'webgpu', 'cpu'],
  win32: ['cuda', 'dml', 'webgpu', 'cpu'],
  darwin: ['coreml', 'webgpu', 'cpu'],
});

/**
 * The providers to try, in order, for a choice, given those the runtime offers here. An explicit choice is tried
 * alone (no silent CPU fallback).
 */
export function providerCandidates(
  choice: ExecutionProviderChoice,
  available: readonly ProviderName[],
  platform: NodeJS.Platform = process.platform,
): ProviderName[] {
  if (choice !== 'auto') return [choice];
  const order = AUTO_ORDER[platform] ?? ['cpu'];
  return order.filter((name) => name === 'cpu' || available.includes(name));
}

/** Whether `name` is offered on `platform` at all (before asking the runtime build). */
export function providerOnPlatform(name: ProviderName, platform: NodeJS.Platform = process.platform): boolean {
  return PROVIDERS[name].platforms.includes(platform);
}

/** A user-facing message for a provider that cannot be used. */
export function providerProblem(name: ProviderName, cause?: unknown, platform: NodeJS.Platform = process.platform): string {
  const entry = PROVIDERS[name];
  const where = entry.platforms.includes(platform) ? '' : ` (not offered on ${platform})`;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `execution provider "${name}" could not be used${where}${detail}. It ${entry.hint}.`;
}

/** For `genfill doctor`: which providers this runtime build offers here and, for the missing ones, what to install. */
export function describeExecutionProviders(available: readonly ProviderName[]): { name: ProviderName; available: boolean; hint: string }[] {
  return (Object.keys(PROVIDERS) as ProviderName[]).map((name) => {
    const offered = available.includes(name);
    return { name, available: offered, hint: offered ? 'available' : PROVIDERS[name].hint };
  });
}
