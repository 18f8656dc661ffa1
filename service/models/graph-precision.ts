/**
 * The `--graph-dtype` setting: the compute precision of the UNet and text-encoder graphs genfill builds (the VAE
 * always computes in fp32). `auto` picks per provider, so it is decided inside the provider loop, not before it.
 */
import type { ComputeType } from '../graphs/layers';
import type { ProviderName } from '../runtime/runtime';

export const GRAPH_DTYPES = ['auto', 'fp32', 'fp16'] as const;
export type GraphDtype = (typeof GRAPH_DTYPES)[number];

/**
 * `auto`: fp16 on a GPU provider (fp32 graphs there cast fp16 weights up at load — ~10 GB instead of ~5 GB for the
 * UNet — and move twice the bytes per step), fp32 on the CPU (fp16 kernels there are slow or missing for some ops).
 */
export function graphCompute(setting: GraphDtype, provider: ProviderName): ComputeType {
  if (setting === 'fp16') return 'float16';
  if (setting === 'fp32') return 'float32';
  return provider === 'cpu' ? 'float32' : 'float16';
}

export function isGraphDtype(value: string): value is GraphDtype {
  return (GRAPH_DTYPES as readonly string[]).includes(value);
}
