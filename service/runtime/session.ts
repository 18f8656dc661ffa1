/**
 * One ONNX graph on one execution provider, through the runtime port. Feeds are checked against the graph's declared
 * inputs before every run, so a shape or name mistake reads as a sentence, not a runtime stack.
 */
import { EngineError } from '../errors';
import { decodeFloat16 } from './float16';
import { providerProblem } from './providers';
import type { ProviderName, Runtime, RuntimeSession, TensorData, ValueSpec } from './runtime';
import { tensorSize } from './runtime';
import { FEED_TYPES, TensorFeed } from './tensor-feed';
import type { FeedType } from './tensor-feed';

/**
 * A GPU provider that cannot be used for this model: a session could not be created on it, or the provider self-test
 * refused it. `auto` tries the next provider only after this: the folder
 * was validated before, so a failure here is the provider's (missing libraries, driver, memory) far more often than
 * the file's — and if it is the file's, CPU fails too and says so. Errors of our own checks are not this type.
 */
export class ProviderError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
  }
}

export interface SessionOptions {
  provider: ProviderName;
  /** Label used in messages, e.g. "unet". */
  label: string;
  /** Nodes to run on CPU (the WebGPU workaround chosen in engines/sdxl/provider-choice.ts). */
  cpuNodes?: readonly string[];
  /** false = the provider's plain defaults (benchmarks compare); genfill's tuned options otherwise. */
  tuned?: boolean;
}

function specsOf(values: readonly ValueSpec[], label: string, kind: string): Map<string, ValueSpec> {
  const specs = new Map<string, ValueSpec>();
  for (const value of values) {
    if (value.type === '') throw new EngineError(`${label}: ${kind} "${value.name}" is not a tensor; this is not an optimum SDXL export`);
    specs.set(value.name, value);
  }
  return specs;
}

/** How onnxruntime and the GPU runtimes word memory exhaustion. */
const OUT_OF_MEMORY = /out of memory|failed to allocate|bad_alloc|cudaErrorMemoryAllocation|CUDNN_STATUS_ALLOC_FAILED|E_OUTOFMEMORY/i;

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

export class ModelSession {
  readonly inputs: ReadonlyMap<string, ValueSpec>;
  readonly outputs: ReadonlyMap<string, ValueSpec>;

  private constructor(
    private readonly session: RuntimeSession,
    readonly label: string,
    readonly provider: ProviderName,
  ) {
    this.inputs = specsOf(session.inputs, label, 'input');
    this.outputs = specsOf(session.outputs, label, 'output');
  }

  static async create(runtime: Runtime, path: string, options: SessionOptions): Promise<ModelSession> {
    let session: RuntimeSession;
    try {
      session = await runtime.createSession(path, { provider: options.provider, label: options.label, cpuNodes: options.cpuNodes, tuned: options.tuned });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const loadProblem = `${options.label}: onnxruntime could not load ${path}: ${message}`;
      if (options.provider === 'cpu') throw new EngineError(loadProblem, { cause: error });
      // The wording follows the message; the type tells `auto` to try the next provider either way.
      const providerWords = /provider|cuda|tensorrt|dml|directml|coreml|webgpu|\.so|\.dll|dylib/i.test(message);
      throw new ProviderError(providerWords ? providerProblem(options.provider, error) : loadProblem, { cause: error });
    }
    try {
      return new ModelSession(session, options.label, options.provider);
    } catch (error) {
      // A graph whose inputs/outputs we refuse must not keep its (possibly multi-GB) session alive.
      await session.release();
      throw error;
    }
  }

  input(name: string): ValueSpec {
    const spec = this.inputs.get(name);
    if (spec === undefined) {
      throw new EngineError(`${this.label}: the graph has no input "${name}" (it has ${[...this.inputs.keys()].join(', ')})`);
    }
    return spec;
  }

  hasOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  /** Allocates a feed for `name` in the graph's declared type, checking `dims` against the declared shape. */
  createFeed(name: string, dims: readonly number[]): TensorFeed {
    const spec = this.input(name);
    if (!(FEED_TYPES as readonly string[]).includes(spec.type)) {
      throw new EngineError(`${this.label}: input "${name}" has type ${spec.type}, which genfill cannot feed`);
    }
    const fits =
      spec.shape.length === dims.length && spec.shape.every((d, i) => typeof d === 'string' || d < 0 || d === dims[i]);
    if (!fits) {
      throw new EngineError(
        `${this.label}: input "${name}" expects shape ${describeShape(spec.shape)}, the pipeline built ${describeShape(dims)}`,
      );
    }
    return new TensorFeed(name, spec.type as FeedType, dims);
  }

  /** Runs with every declared input fed; returns only `fetch` outputs (all when omitted). */
  async run(feeds: Readonly<Record<string, TensorFeed>>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    const missing = [...this.inputs.keys()].filter((name) => !(name in feeds));
    const unknown = Object.keys(feeds).filter((name) => !this.inputs.has(name));
    if (missing.length > 0 || unknown.length > 0) {
      const parts = [
        missing.length > 0 ? `missing ${missing.join(', ')}` : '',
        unknown.length > 0 ? `not in the graph: ${unknown.join(', ')}` : '',
      ].filter(Boolean);
      throw new EngineError(`${this.label}: feeds do not match the graph's inputs (${parts.join('; ')})`);
    }
    const tensors: Record<string, TensorData> = {};
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = feed.tensor;
    for (const name of fetch ?? []) {
      if (!this.outputs.has(name)) {
        throw new EngineError(`${this.label}: the graph has no output "${name}" (it has ${[...this.outputs.keys()].join(', ')})`);
      }
    }
    try {
      return await this.session.run(tensors, fetch);
    } catch (error) {
      throw new EngineError(this.runProblem(feeds, error), { cause: error });
    }
  }

  /** A failed run in words: what was fed, on which provider, and — for memory exhaustion — what to change. */
  private runProblem(feeds: Readonly<Record<string, TensorFeed>>, error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const inputs = Object.entries(feeds)
      .map(([name, feed]) => `${name} ${feed.tensor.type}${describeShape(feed.tensor.dims)}`)
      .join(', ');
    const outOfMemory = OUT_OF_MEMORY.test(message)
      ? ' The device ran out of memory: run variations one at a time (no --batch-variations), use --low-memory, or select a smaller area.'
      : '';
    return `${this.label} failed on ${this.provider} (inputs ${inputs}): ${message}.${outOfMemory}`;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Reads a float output as float32: the tensor's own memory when float32, else decoded into `into` (or a new array). */
export function outputAsFloat32(tensor: TensorData, label: string, into?: Float32Array): Float32Array {
  const size = tensorSize(tensor);
  if (into !== undefined && into.length !== size) {
    throw new EngineError(`${label}: output has ${size} values, the pipeline expected ${into.length}`);
  }
  switch (tensor.type) {
    case 'float32': {
      const data = tensor.data as Float32Array;
      if (into === undefined) return data;
      into.set(data);
      return into;
    }
    case 'float16': {
      const target = into ?? new Float32Array(size);
      decodeFloat16(tensor.data as Uint16Array, target);
      return target;
    }
    case 'float64': {
      const target = into ?? new Float32Array(size);
      target.set(tensor.data as Float64Array);
      return target;
    }
    default:
      throw new EngineError(`${label}: output has type ${tensor.type}, expected a float tensor`);
  }
}
