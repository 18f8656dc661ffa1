/**
 * What each execution provider is given, from onnxruntime's provider documentation, each option with its reason.
 * onnxruntime-node 1.30 passes on only part of each provider's options (its binding reads `deviceId` for CUDA and
 * DirectML, `coreMlFlags` for CoreML, and the WebGPU keys below); what it cannot pass is said where it would go.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { ProviderName } from './runtime';

/** CoreML flags (coreml_provider_factory.h): the Node binding takes CoreML options only as these bits. */
const COREML_FLAG_CREATE_MLPROGRAM = 0x010;
const COREML_FLAG_USE_CPU_AND_GPU = 0x020;

export interface ProviderSetup {
  /** The `executionProviders` entry. */
  provider: InferenceSession.ExecutionProviderConfig;
  /** Session options this provider needs besides it. */
  session: InferenceSession.SessionOptions;
}

/** Everything a session gets whatever the provider. */
export const COMMON_SESSION_OPTIONS: InferenceSession.SessionOptions = Object.freeze({
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
});

/** The provider's plain defaults (what `tuned: false` measures against). */
export function plainSetup(name: ProviderName, cpuNodes: readonly string[] = []): ProviderSetup {
  const provider = name === 'webgpu' && cpuNodes.length > 0 ? { name, forceCpuNodeNames: cpuNodes } : name;
  return { provider, session: {} };
}

/** genfill's options for `name`; `cpuNodes` are forced onto CPU (WebGPU only: no other binding offers it). */
export function tunedSetup(name: ProviderName, cpuNodes: readonly string[] = []): ProviderSetup {
  switch (name) {
    case 'webgpu':
      return {
        provider: {
          name: 'webgpu',
          // Convolutions run channels-last, the layout WebGPU's conv kernels are fastest in (SDXL UNet step on an
          // H200: 969 → 647 ms with the three options together).
          preferredLayout: 'NHWC',
          // Dawn's per-call validation is pure overhead once the kernels are known to work (the self-test runs first).
          validationMode: 'disabled',
          // Static shapes per job: reuse exact-size buffers instead of rounding every one up to a bucket.
          storageBufferCacheMode: 'simple',
          ...(cpuNodes.length > 0 ? { forceCpuNodeNames: cpuNodes } : {}),
        },
        session: {},
      };
    case 'cuda':
      return {
        // cuDNN's convolution search is EXHAUSTIVE by default (benchmark every algorithm once per shape: the UNet is
        // convolutions); prefer_nhwc and gpu_mem_limit are not passed by onnxruntime-node 1.30's binding.
        provider: { name: 'cuda', deviceId: 0 },
        // Weights go straight to device memory instead of through the arena, which rounds each growth up to the next
        // power of two: several GB of a 5–10 GB UNet would otherwise be reserved and never used.
        session: { extra: { session: { use_device_allocator_for_initializers: '1' } } },
      };
    case 'dml':
      return {
        provider: { name: 'dml', deviceId: 0 },
        // DirectML supports neither memory-pattern planning nor parallel execution (onnxruntime's DirectML page).
        session: { enableMemPattern: false, executionMode: 'sequential' },
      };
    case 'coreml':
      return {
        provider: {
          name: 'coreml',
          // MLProgram runs fp16 natively and covers more ops than the older NeuralNetwork format; CPU and GPU, not
          // the Neural Engine, whose compile limits an SDXL-size UNet exceeds. (A model cache directory, so the
          // compile happens once per model, is a provider option the 1.30 binding does not pass: the compile happens
          // once per service start, when the sessions are created.)
          coreMlFlags: COREML_FLAG_CREATE_MLPROGRAM | COREML_FLAG_USE_CPU_AND_GPU,
        },
        session: {},
      };
    case 'cpu':
    case 'tensorrt':
      return plainSetup(name, cpuNodes);
  }
}
