/**
 * Where a graph's weights come from. Builders ask for tensors by their diffusers name and the shape the config implies;
 * a source answers with a byte range of a file (a .safetensors read in place, or a file of generated values), so the
 * graph references the bytes instead of copying them.
 */
import type { ElemType } from './onnx-graph';

export interface WeightTensor {
  type: ElemType;
  /** The shape the graph uses (the requested one; a conv-1×1 stored [C, C, 1, 1] is used as [C, C]). */
  dims: number[];
  /** True when the file holds the transpose of the requested [out, in] matrix (OpenCLIP's text_projection). */
  transposed: boolean;
  file: string;
  offset: number;
  length: number;
}

export interface WeightSource {
  /** Throws a ModelSourceError naming the file and tensor when it is missing or shaped otherwise. */
  tensor(name: string, shape: readonly number[]): WeightTensor;
}

/** Records what a builder asks for and answers with placeholders: the architecture's names and shapes, no weights. */
export class ShapeRecorder implements WeightSource {
  readonly requested = new Map<string, number[]>();

  tensor(name: string, shape: readonly number[]): WeightTensor {
    this.requested.set(name, [...shape]);
    const length = shape.reduce((a, b) => a * b, 1) * 4;
    return { type: 'float32', dims: [...shape], transposed: false, file: 'shapes-only', offset: 0, length };
  }

  get parameterCount(): number {
    let total = 0;
    for (const shape of this.requested.values()) total += shape.reduce((a, b) => a * b, 1);
    return total;
  }
}
