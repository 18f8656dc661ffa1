/**
 * A runtime for tests, through the port: every session really runs (onnxruntime on CPU underneath), while each fake
 * GPU provider can refuse to open sessions or compute chosen outputs wrongly. It records every session request and
 * counts sessions not yet released, so tests see provider order, options and clean-up.
 */
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../service/runtime/float16';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import type { ProviderName, Runtime, RuntimeSession, SessionRequest, TensorData } from '../../service/runtime/runtime';

export interface FakeProvider {
  /** Session creation fails with this message for these graph labels (all when omitted). */
  failOpen?: { message: string; labels?: readonly string[] };
  /** Outputs (by name) this provider computes wrongly: each value is shifted by `by`. */
  wrongOutputs?: readonly string[];
  /** How far off the wrong outputs are (the WebGPU conv bug is 3–4). */
  by?: number;
}

export class FakeRuntime implements Runtime {
  /** Every createSession call, in order (also the failed ones). */
  readonly requests: SessionRequest[] = [];
  /** Sessions created and not released. */
  open = 0;
  private readonly cpu = createOrtRuntime();

  /** `cpu` may only fail to open (it is the reference the others are compared with); it is always offered. */
  constructor(private readonly providers: Partial<Record<ProviderName, FakeProvider>> = {}) {}

  availableProviders(): ProviderName[] {
    return ['cpu', ...(Object.keys(this.providers) as ProviderName[]).filter((name) => name !== 'cpu')];
  }

  /** The requests' "label@provider", in order. */
  get attempts(): string[] {
    return this.requests.map((r) => `${r.label}@${r.provider}`);
  }

  async createSession(model: string | Uint8Array, request: SessionRequest): Promise<RuntimeSession> {
    this.requests.push(request);
    const fake = request.provider === 'cpu' ? (this.providers.cpu ?? {}) : this.providers[request.provider];
    if (fake === undefined) throw new Error(`${request.provider} is not offered by the fake runtime`);
    if (fake.failOpen && (fake.failOpen.labels ?? [request.label]).includes(request.label)) throw new Error(fake.failOpen.message);
    const inner = await this.cpu.createSession(model, { ...request, provider: 'cpu', cpuNodes: undefined });
    this.open++;
    let released = false;
    const wrong = new Set(fake.wrongOutputs ?? []);
    const by = fake.by ?? 3.5;
    return {
      inputs: inner.inputs,
      outputs: inner.outputs,
      run: async (feeds, fetch) => {
        const result = await inner.run(feeds, fetch);
        for (const [name, tensor] of Object.entries(result)) if (wrong.has(name)) result[name] = shifted(tensor, by);
        return result;
      },
      release: async () => {
        if (!released) this.open--;
        released = true;
        await inner.release();
      },
    };
  }
}

function shifted(tensor: TensorData, by: number): TensorData {
  if (tensor.type === 'float32') return { ...tensor, data: (tensor.data as Float32Array).map((v) => v + by) };
  if (tensor.type === 'float16') return { ...tensor, data: (tensor.data as Uint16Array).map((h) => float32ToFloat16Bits(float16BitsToFloat32(h) + by)) };
  throw new Error(`the fake shifts float outputs only, not ${tensor.type}`);
}
