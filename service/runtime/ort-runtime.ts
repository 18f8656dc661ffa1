/**
 * The runtime port over onnxruntime-node: the only module that imports it. Sessions are created from the file path
 * (onnxruntime maps the weights and their `model.onnx_data` itself; a 10 GB UNet never passes through a JS Buffer).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InferenceSession, listSupportedBackends, Tensor } from 'onnxruntime-node';
import { COMMON_SESSION_OPTIONS, plainSetup, tunedSetup } from './provider-options';
import { PROVIDERS, providerOnPlatform } from './providers';
import type { ProviderName, Runtime, RuntimeSession, SessionRequest, TensorData, TensorType, ValueSpec } from './runtime';

const TENSOR_TYPES: readonly string[] = ['float32', 'float16', 'float64', 'int64', 'int32'] satisfies TensorType[];

function bindingFolder(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether this onnxruntime-node build can offer `name` here (libraries present); not whether a GPU is present. */
function offered(name: ProviderName, platform: NodeJS.Platform): boolean {
  if (!providerOnPlatform(name, platform)) return false;
  const backend = listSupportedBackends().find((b) => b.name === name);
  if (backend?.bundled) return true;
  const libraries = PROVIDERS[name].libraries[platform] ?? [];
  if (libraries.length > 0) return libraries.every((lib) => existsSync(join(bindingFolder(), lib)));
  // Bundled-by-platform providers (dml on Windows, coreml on macOS) are not always listed by the binding.
  return backend !== undefined || name === 'dml' || name === 'coreml';
}

function specs(metadata: readonly InferenceSession.ValueMetadata[]): ValueSpec[] {
  // Non-tensor values (sequences, maps) keep their name and an empty type, which no feed or check accepts.
  return metadata.map((value) => (value.isTensor ? { name: value.name, type: value.type, shape: value.shape } : { name: value.name, type: '', shape: [] }));
}

function asTensorData(name: string, value: unknown): TensorData {
  if (!(value instanceof Tensor) || !TENSOR_TYPES.includes(value.type)) {
    throw new Error(`output "${name}" is a ${value instanceof Tensor ? `${value.type} tensor` : 'non-tensor value'}, which genfill cannot read`);
  }
  return value as TensorData;
}

class OrtSession implements RuntimeSession {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];

  constructor(private readonly session: InferenceSession) {
    this.inputs = specs(session.inputMetadata);
    this.outputs = specs(session.outputMetadata);
  }

  async run(feeds: Readonly<Record<string, TensorData>>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    const tensors: Record<string, Tensor> = {};
    // A Tensor over the same typed array: no copy.
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = new Tensor(feed.type, feed.data, feed.dims);
    const result = fetch === undefined ? await this.session.run(tensors) : await this.session.run(tensors, [...fetch]);
    const out: Record<string, TensorData> = {};
    for (const [name, value] of Object.entries(result)) out[name] = asTensorData(name, value);
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function createOrtRuntime(platform: NodeJS.Platform = process.platform): Runtime {
  return {
    availableProviders: () => (Object.keys(PROVIDERS) as ProviderName[]).filter((name) => name === 'cpu' || offered(name, platform)),
    async createSession(model: string | Uint8Array, request: SessionRequest): Promise<RuntimeSession> {
      const setup = (request.tuned ?? true) ? tunedSetup(request.provider, request.cpuNodes) : plainSetup(request.provider, request.cpuNodes);
      const options: InferenceSession.SessionOptions = { ...COMMON_SESSION_OPTIONS, ...setup.session, executionProviders: [setup.provider] };
      // Two calls for TypeScript's overloads: a path (weights mapped by onnxruntime) or bytes (the probe graph).
      const session = typeof model === 'string' ? await InferenceSession.create(model, options) : await InferenceSession.create(model, options);
      return new OrtSession(session);
    },
  };
}
