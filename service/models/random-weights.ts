/**
 * Weights made up from a config alone: for timing a full-size network on a machine without the model files (and for
 * tests of the builder). Values follow torch's default initialisation scale (uniform ±1/√fan_in; norm scales 1, biases
 * 0) so activations stay finite; they are written once, in chunks, to one file the graph references as external data.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseUnetConfig } from '../graphs/configs';
import type { ComputeType, NetOptions } from '../graphs/layers';
import { buildUnet } from '../graphs/unet';
import type { WeightSource, WeightTensor } from '../graphs/weights';
import { float32ToFloat16Bits } from '../runtime/float16';

const CHUNK_VALUES = 1 << 22;
/** Each tensor draws from this many distinct values of its scale (the point is size and finiteness, not statistics). */
const TABLE = 4096;

export class RandomWeights implements WeightSource {
  private readonly fd: number;
  private offset = 0;
  private state: number;
  /** One chunk of random table indices, drawn once and read from a random start per chunk (speed: 2.5 B values). */
  private readonly indices: Uint16Array;
  parameters = 0;

  constructor(
    private readonly path: string,
    private readonly type: 'float32' | 'float16',
    seed = 1,
  ) {
    this.fd = openSync(path, 'w');
    this.state = seed >>> 0 || 1;
    this.indices = Uint16Array.from({ length: 2 * CHUNK_VALUES }, () => this.next() & (TABLE - 1));
  }

  private next(): number {
    // xorshift32
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  tensor(name: string, shape: readonly number[]): WeightTensor {
    const count = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 0;
    const constant = shape.length === 1 ? (name.endsWith('.bias') ? 0 : 1) : null;
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    const table = Float32Array.from({ length: TABLE }, (_, i) => constant ?? bound * ((2 * i) / (TABLE - 1) - 1));
    const bytesPer = this.type === 'float32' ? 4 : 2;
    const start = this.offset;
    const halfTable = Uint16Array.from(table, (v) => float32ToFloat16Bits(v));
    for (let done = 0; done < count; done += CHUNK_VALUES) {
      const n = Math.min(CHUNK_VALUES, count - done);
      const chunk = this.type === 'float32' ? new Float32Array(n) : new Uint16Array(n);
      const source = this.type === 'float32' ? table : halfTable;
      const from = this.next() % CHUNK_VALUES;
      for (let i = 0; i < n; i++) chunk[i] = source[this.indices[from + i]];
      writeSync(this.fd, new Uint8Array(chunk.buffer), 0, n * bytesPer, this.offset);
      this.offset += n * bytesPer;
    }
    this.parameters += count;
    return { type: this.type, dims: [...shape], transposed: false, file: this.path, offset: start, length: count * bytesPer };
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface RandomUnet {
  /** model.onnx, with weights.bin and config.json beside it. */
  modelPath: string;
  parameters: number;
  weightBytes: number;
}

/**
 * A UNet graph from `unet/config.json` with random weights of `dtype`, written to `outDir`. `compute` is the graph's
 * precision (float32 casts fp16 weights up, as genfill runs on CPU; float16 keeps them, for GPU providers).
 */
export function buildUnetWithRandomWeights(
  config: Record<string, unknown>,
  dtype: 'float32' | 'float16',
  outDir: string,
  options: { compute?: ComputeType; seed?: number; attention?: NetOptions['attention'] } = {},
): RandomUnet {
  mkdirSync(outDir, { recursive: true });
  const weightsPath = join(outDir, 'weights.bin');
  const weights = new RandomWeights(weightsPath, dtype, options.seed);
  try {
    const net = buildUnet(parseUnetConfig(config), { weights, locate: () => 'weights.bin', compute: options.compute ?? 'float32', attention: options.attention });
    const modelPath = join(outDir, 'model.onnx');
    writeFileSync(modelPath, net.encode());
    writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 2));
    return { modelPath, parameters: weights.parameters, weightBytes: weights.parameters * (dtype === 'float32' ? 4 : 2) };
  } finally {
    weights.close();
  }
}
