// Reads an ONNX file's graph to find the Conv nodes fed by a graph input (directly or through Cast nodes): the UNet's
// conv_in, whose name the WebGPU workaround needs. Names are read, never guessed — exporters name nodes differently.
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS; under Node ESM only its default export is visible.
const { onnx } = onnxProto;

/** Names of the Conv nodes whose data input is `inputName`, or a Cast chain from it. */
export function convNodesFedBy(model: Uint8Array, inputName: string): string[] {
  const graph = onnx.ModelProto.decode(model).graph;
  if (!graph) return [];
  const reaches = new Set([inputName]);
  const found: string[] = [];
  // Nodes are topologically sorted in a valid ONNX graph, so one pass follows Cast chains forward.
  for (const node of graph.node ?? []) {
    const data = node.input?.[0];
    if (data === undefined || !reaches.has(data)) continue;
    if (node.opType === 'Cast') for (const output of node.output ?? []) reaches.add(output);
    else if (node.opType === 'Conv' && node.name) found.push(node.name);
  }
  return found;
}

/**
 * The same for a model file. The weights of a large export live in `model.onnx_data`, so `model.onnx` is the graph
 * and small constants only; an export that embeds its weights is read whole (under 2 GB by the ONNX format's limit).
 */
export async function convNodesFedByInFile(path: string, inputName: string): Promise<string[]> {
  return convNodesFedBy(await readFile(path), inputName);
}
