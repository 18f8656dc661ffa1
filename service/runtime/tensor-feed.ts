/**
 * A preallocated graph input of the graph's declared type. The pipeline writes float32 values straight into it (for
 * float32 inputs the window IS the tensor's memory); other declared types get a float32 staging window and a cast on
 * commit, as optimum's `_prepare_onnx_inputs` does with `astype`: float16 rounds to nearest even, integers truncate.
 */
import { encodeFloat16 } from './float16';
import type { TensorData, TensorType, TensorValues } from './runtime';

export type FeedType = TensorType;
export const FEED_TYPES: readonly FeedType[] = ['float32', 'float16', 'float64', 'int64', 'int32'];

type FeedData = TensorValues;

function allocate(type: FeedType, size: number): FeedData {
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'float16':
      return new Uint16Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

export class TensorFeed {
  readonly tensor: TensorData;
  readonly size: number;
  private readonly data: FeedData;
  /** Float32 values awaiting a cast into `data`; null when `data` is float32 itself. */
  private readonly staging: Float32Array | null;

  constructor(
    readonly name: string,
    readonly type: FeedType,
    readonly dims: readonly number[],
  ) {
    this.size = dims.reduce((a, b) => a * b, 1);
    this.data = allocate(type, this.size);
    this.staging = type === 'float32' ? null : new Float32Array(this.size);
    this.tensor = { type, data: this.data, dims };
  }

  /** A float32 window on values [offset, offset+length): write into it, then `commit` the same range. */
  float32(offset = 0, length = this.size - offset): Float32Array {
    this.checkRange(offset, length);
    const target = this.staging ?? (this.data as Float32Array);
    return target.subarray(offset, offset + length);
  }

  /** Casts the staged range into the tensor (no-op for float32 inputs). */
  commit(offset = 0, length = this.size - offset): void {
    this.checkRange(offset, length);
    const staging = this.staging;
    if (staging === null) return;
    const source = staging.subarray(offset, offset + length);
    const data = this.data;
    if (data instanceof Uint16Array) {
      encodeFloat16(source, data, offset);
    } else if (data instanceof BigInt64Array) {
      for (let i = 0; i < length; i++) data[offset + i] = BigInt(Math.trunc(source[i]));
    } else {
      // Int32Array truncates toward zero on assignment; Float64Array widens exactly.
      (data as Int32Array | Float64Array).set(source, offset);
    }
  }

  /** Writes and commits `values` at `offset`. */
  set(values: ArrayLike<number>, offset = 0): void {
    this.float32(offset, values.length).set(values);
    this.commit(offset, values.length);
  }

  /** Copies committed values [start, end) to `target`, in staging and tensor alike (e.g. CFG duplication). */
  copyWithin(target: number, start: number, end: number): void {
    this.checkRange(target, end - start);
    this.staging?.copyWithin(target, start, end);
    this.data.copyWithin(target, start, end);
  }

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`input "${this.name}": range ${offset}+${length} is outside its ${this.size} values`);
    }
  }
}
