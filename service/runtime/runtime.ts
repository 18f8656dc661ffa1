/**
 * The runtime port: everything genfill asks of an inference runtime. The pipeline, the SDXL engine, the provider
 * self-test and the benchmarks reach onnxruntime only through this interface; `ort-runtime.ts` implements it over
 * onnxruntime-node, and tests use a fake (test/runtime/fake-runtime.ts).
 */
import type { ExecutionProviderChoice } from '../../core/params';

export type ProviderName = Exclude<ExecutionProviderChoice, 'auto'>;

export type TensorType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32';
/** float16 values travel as their IEEE bit patterns (Node 20 has no Float16Array). */
export type TensorValues = Float32Array | Uint16Array | Float64Array | BigInt64Array | Int32Array;

/** A tensor as plain data: the same memory onnxruntime reads or wrote, no copy. */
export interface TensorData {
  readonly type: TensorType;
  readonly data: TensorValues;
  readonly dims: readonly number[];
}

export interface ValueSpec {
  name: string;
  /** onnxruntime's type name, e.g. "float32", "float16", "int64". */
  type: string;
  /** Numbers are fixed sizes; strings are symbolic (dynamic) axes. */
  shape: readonly (number | string)[];
}

export interface SessionRequest {
  provider: ProviderName;
  /** Graph name for messages and logs, e.g. "unet". */
  label: string;
  /** Nodes that run on CPU although the session is on a GPU provider (a workaround for a provider's wrong kernel). */
  cpuNodes?: readonly string[];
  /** false = the provider's defaults, without genfill's tuned options (for `bench/gpu.ts` comparisons). */
  tuned?: boolean;
}

export interface RuntimeSession {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  /** Runs with `feeds`; returns `fetch` outputs (all when omitted). */
  run(feeds: Readonly<Record<string, TensorData>>, fetch?: readonly string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface Runtime {
  /** Providers this runtime build can offer here (their libraries are present; cpu always). Not whether a GPU works. */
  availableProviders(): ProviderName[];
  /** A session for a model file (weights mapped by the runtime, never read into JS) or an in-memory graph. */
  createSession(model: string | Uint8Array, request: SessionRequest): Promise<RuntimeSession>;
}

/** Number of values (1 for a scalar). */
export function tensorSize(tensor: TensorData): number {
  return tensor.dims.reduce((a, b) => a * b, 1);
}
