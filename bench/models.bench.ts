/**
 * Building the ONNX graphs from PyTorch-format weights:
 *  - the tiny golden model (diffusers folder and single file): conversion time (min / median of several runs) and the
 *    process's peak memory;
 *  - the real SDXL-inpaint architecture (genfill's known configs, no weights needed): graph build time, the bytes of
 *    graph files written, and the weight bytes the folder maps in place (hard links) versus copies.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSdxlGraph } from '../service/graphs/sdxl-graphs';
import { ShapeRecorder } from '../service/graphs/weights';
import { writeGraphFolder } from '../service/models/graph-folder';
import { SDXL_INPAINT_CONFIGS } from '../service/models/known-configs';
import { diffusersPlan, singleFilePlan } from '../service/models/plans';
import type { GraphPlan } from '../service/models/plans';
import { GRAPH_COMPONENTS } from '../service/pipeline/model-folder';

const GOLDEN = join(import.meta.dirname, '..', '..', 'shared', 'golden-sdxl-tiny');
const RUNS = 5;
const MB = 1024 * 1024;
const GB = 1024 * MB;

const stats = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0].toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms`;
};

async function tiny(): Promise<void> {
  if (!existsSync(join(GOLDEN, 'diffusers'))) {
    console.log(`tiny model: skipped (golden kit not found at ${GOLDEN})`);
    return;
  }
  const sources: [string, () => GraphPlan][] = [
    ['diffusers folder', () => diffusersPlan(join(GOLDEN, 'diffusers'))],
    ['single file', () => singleFilePlan(join(GOLDEN, 'single-file', 'model.safetensors'), { configFrom: join(GOLDEN, 'diffusers') })],
  ];
  const root = mkdtempSync(join(tmpdir(), 'genfill-bench-models-'));
  try {
    for (const [label, plan] of sources) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const start = performance.now();
        await writeGraphFolder(plan(), join(root, `${label}-${run}`));
        times.push(performance.now() - start);
      }
      console.log(`tiny SDXL-inpaint from a ${label}: 5 graphs + folder in ${stats(times)} (${RUNS} runs)`);
    }
    console.log(`peak resident memory of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (Node + onnx-proto included)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function fullSize(): void {
  const recorders = { unet: new ShapeRecorder(), vae: new ShapeRecorder(), text_encoder: new ShapeRecorder(), text_encoder_2: new ShapeRecorder() };
  let graphBytes = 0;
  const times: number[] = [];
  for (const component of GRAPH_COMPONENTS) {
    const start = performance.now();
    const bytes = buildSdxlGraph(component, { configs: SDXL_INPAINT_CONFIGS, weights: recorders, locate: () => 'weights.safetensors' }).encode().byteLength;
    times.push(performance.now() - start);
    graphBytes += bytes;
    console.log(`  ${component.padEnd(15)} graph ${(bytes / MB).toFixed(2)} MB, built in ${times.at(-1)!.toFixed(0)} ms`);
  }
  const params = Object.values(recorders).reduce((sum, r) => sum + r.parameterCount, 0);
  const unet = recorders.unet.parameterCount;
  console.log(`full SDXL-inpaint (${(params / 1e9).toFixed(3)} B parameters, UNet ${unet.toLocaleString('en')}):`);
  const tablePath = join(GOLDEN, 'sdxl-inpaint-shapes.json');
  if (existsSync(tablePath)) {
    const table = JSON.parse(readFileSync(tablePath, 'utf8')) as { parameter_counts: Record<keyof typeof recorders, number> };
    const differ = (Object.keys(recorders) as (keyof typeof recorders)[]).filter((n) => table.parameter_counts[n] !== recorders[n].parameterCount);
    console.log(`  parameter counts vs sdxl-inpaint-shapes.json: ${differ.length ? `DIFFER for ${differ.join(', ')}` : 'equal for all four networks'}`);
  }
  console.log(`  graph files written: ${(graphBytes / MB).toFixed(1)} MB in total`);
  for (const [label, bytesPer] of [
    ['fp16 weights (HF fp16 variant, most single files)', 2],
    ['fp32 weights', 4],
  ] as const) {
    console.log(`  ${label}: mapped in place ${((params * bytesPer) / GB).toFixed(2)} GB, copied 0 B (hard links); ` + `where a hard link is impossible: copied once ${((params * bytesPer) / GB).toFixed(2)} GB`);
  }
  console.log(`  on the CPU provider, ORT folds each fp16→fp32 Cast once at load: ${((params * 4) / GB).toFixed(2)} GB of fp32 weights in memory (the UNet alone ${((unet * 4) / GB).toFixed(2)} GB)`);
}

await tiny();
fullSize();
