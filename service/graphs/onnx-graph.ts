// A minimal ONNX graph builder over `onnx-proto` (ONNX 1.10 schema): the encoder behind every graph genfill writes.
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS; under Node ESM only its default export is visible.
const { onnx } = onnxProto;

/** ONNX IR version of the 1.10 schema; ORT 1.30 reads it. */
const IR_VERSION = 8;
/** Opset 17: ReduceMean still takes `axes` as an attribute, everything used here exists. */
export const OPSET = 17;
const CONTRIB_DOMAIN = 'com.microsoft';

export type ElemType = 'float32' | 'float16' | 'bfloat16' | 'int32' | 'int64';

export const ONNX_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  bfloat16: onnx.TensorProto.DataType.BFLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A graph input or output: its dims are numbers (fixed) or strings (symbolic, e.g. "batch_size"). */
export interface ValueSpec {
  name: string;
  type: ElemType;
  dims: readonly (number | string)[];
}

export type AttrValue = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

interface Initializer {
  name: string;
  type: ElemType;
  dims: readonly number[];
  bytes: Uint8Array;
}

/** A byte range of a file beside the model that holds one tensor (e.g. inside a `.safetensors`), read in place. */
export interface ExternalTensor {
  /** File name relative to the model's folder (ONNX refuses paths that leave it). */
  location: string;
  offset: number;
  length: number;
}

interface ExternalInitializer {
  name: string;
  type: ElemType;
  dims: readonly number[];
  external: ExternalTensor;
}

/** Where initializers go when a model is written with external data (as optimum's `model.onnx_data`). */
export interface ExternalDataOptions {
  /** File name, relative to the model file; ONNX resolves it from the model's folder. */
  location: string;
  /** Initializers smaller than this stay inside the model (optimum uses 100 bytes). */
  minBytes: number;
}

export interface EncodedModel {
  model: Uint8Array;
  /** The external data file's bytes, when external data was requested. */
  externalData?: Uint8Array;
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function attribute(name: string, value: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in value) return onnx.AttributeProto.create({ name, type: T.INT, i: value.i });
  if ('f' in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.f });
  if ('s' in value) return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value.s) });
  if ('ints' in value) return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...value.ints] });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...value.floats] });
}

function valueInfo(spec: ValueSpec): InstanceType<typeof onnx.ValueInfoProto> {
  const dim = spec.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({
    name: spec.name,
    type: { tensorType: { elemType: ONNX_TYPE[spec.type], shape: { dim } } },
  });
}

/** Builds one graph: declare inputs, add constants and nodes, declare outputs, then encode. */
export class GraphBuilder {
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly externals: ExternalInitializer[] = [];
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private counter = 0;
  private usesContrib = false;

  constructor(private readonly graphName: string) {}

  input(spec: ValueSpec): string {
    this.inputs.push(spec);
    return spec.name;
  }

  /** Declares `value` (an already computed tensor name) as a graph output under the name of `spec`. */
  output(value: string, spec: ValueSpec): void {
    if (value !== spec.name) this.op('Identity', [value], {}, spec.name);
    this.outputs.push(spec);
  }

  /** A float32 constant (stored as an initializer). */
  f32(data: ArrayLike<number>, dims: readonly number[], hint = 'const'): string {
    return this.initializer(hint, 'float32', dims, bytesOf(Float32Array.from(data)));
  }

  /** An int64 constant (stored as an initializer). */
  i64(data: readonly number[], dims: readonly number[], hint = 'const'): string {
    return this.initializer(hint, 'int64', dims, bytesOf(BigInt64Array.from(data.map((v) => BigInt(v)))));
  }

  /** A constant of any type from its little-endian bytes. */
  constant(bytes: Uint8Array, type: ElemType, dims: readonly number[], hint = 'const'): string {
    return this.initializer(hint, type, dims, bytes);
  }

  /** An initializer whose bytes stay in a file beside the model (ONNX external data); nothing is read or copied. */
  externalInitializer(name: string, type: ElemType, dims: readonly number[], external: ExternalTensor): string {
    this.externals.push({ name, type, dims, external });
    return name;
  }

  /** Adds a node and returns the name of its (single) output. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    return this.opMulti(opType, inputs, 1, attrs, outputName === undefined ? undefined : [outputName])[0];
  }

  /** Adds a node with `outputs` outputs (e.g. Split) and returns their names. */
  opMulti(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, AttrValue> = {}, names?: readonly string[]): string[] {
    const out = names ? [...names] : Array.from({ length: outputs }, () => this.fresh(opType));
    const attributes = Object.entries(attrs).map(([name, value]) => attribute(name, value));
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: out, name: `${out[0]}_node`, attribute: attributes }));
    return out;
  }

  /** A node of onnxruntime's contrib domain (com.microsoft, e.g. MultiHeadAttention). */
  contribOp(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(opType);
    const attributes = Object.entries(attrs).map(([name, value]) => attribute(name, value));
    this.nodes.push(onnx.NodeProto.create({ opType, domain: CONTRIB_DOMAIN, input: [...inputs], output: [out], name: `${out}_node`, attribute: attributes }));
    this.usesContrib = true;
    return out;
  }

  /** Casts to float32 unless already float32 (the tiny graphs compute in float32 whatever their I/O type). */
  toF32(value: string, from: ElemType): string {
    return from === 'float32' ? value : this.op('Cast', [value], { to: { i: ONNX_TYPE.float32 } });
  }

  /** Casts a float32 value to the I/O type `to`, naming the result `name` when given. */
  fromF32(value: string, to: ElemType, name?: string): string {
    return to === 'float32' ? value : this.op('Cast', [value], { to: { i: ONNX_TYPE[to] } }, name);
  }

  encode(externalData?: ExternalDataOptions, producerName = 'genfill-tiny-sdxl'): EncodedModel {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.initializers.map((init) => {
      const base = { name: init.name, dataType: ONNX_TYPE[init.type], dims: [...init.dims] };
      if (!externalData || init.bytes.byteLength < externalData.minBytes) return onnx.TensorProto.create({ ...base, rawData: init.bytes });
      // Align each tensor to 64 bytes, like onnx's own writer does for large tensors, so mmap-friendly readers are happy.
      const pad = (64 - (offset % 64)) % 64;
      if (pad) chunks.push(new Uint8Array(pad));
      offset += pad;
      chunks.push(init.bytes);
      const entry = [
        { key: 'location', value: externalData.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(init.bytes.byteLength) },
      ];
      offset += init.bytes.byteLength;
      return onnx.TensorProto.create({ ...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entry });
    });
    for (const init of this.externals) {
      const entry = [
        { key: 'location', value: init.external.location },
        { key: 'offset', value: String(init.external.offset) },
        { key: 'length', value: String(init.external.length) },
      ];
      initializer.push(
        onnx.TensorProto.create({
          name: init.name,
          dataType: ONNX_TYPE[init.type],
          dims: [...init.dims],
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: entry,
        }),
      );
    }
    const graph = onnx.GraphProto.create({
      name: this.graphName,
      node: this.nodes,
      initializer,
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: this.usesContrib ? [{ domain: '', version: OPSET }, { domain: CONTRIB_DOMAIN, version: 1 }] : [{ domain: '', version: OPSET }],
      producerName,
      graph,
    });
    const encoded: EncodedModel = { model: onnx.ModelProto.encode(model).finish() };
    if (externalData) encoded.externalData = concat(chunks, offset);
    return encoded;
  }

  private initializer(hint: string, type: ElemType, dims: readonly number[], bytes: Uint8Array): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, type, dims, bytes });
    return name;
  }

  private fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
