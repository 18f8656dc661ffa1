/**
 * `genfill serve | inpaint | doctor | model` — the command line. `serve` runs the HTTP service; `inpaint` runs one job
 * in-process (same worker host and imaging code, no server); `doctor` checks the model folder and the execution
 * providers; `model install` downloads a model from Hugging Face, `model convert` builds its ONNX graphs into a folder.
 * Commands are a table; each returns its exit code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GenfillError } from '../core/errors';
import { EMPTY_PROMPT_MODES, ENGINE_CHOICES, LIMITS, SCHEDULERS } from '../core/params';
import { describeModel } from '../core/protocol';
import type { JobParams } from '../core/protocol';
import { ConfigError, configHelp, parseArgsOptions, resolveConfig, type ServiceConfig } from './config';
import { MODEL_EXPORT_COMMAND, missingModelHelp } from './engines/sdxl/model-help';
import { chooseEngine } from './jobs/engine-choice';
import { resolveParams } from './jobs/params';
import { ProgressTracker } from './jobs/progress';
import { runInpaint } from './jobs/run-inpaint';
import { promptUnusedWarning } from './jobs/warnings';
import { createLogger } from './log';
import { hubCacheDir } from './models/hub-cache';
import { DEFAULT_INSTALL_REPO, installFromHub } from './models/hub-download';
import { ByteProgressBar, formatBytes } from './models/progress-bar';
import { SERVICE_VERSION } from './version';
import { CancelFlag } from './worker/cancel-flag';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

type Command = (args: string[], io: CliIo) => Promise<number>;

const say = (stream: NodeJS.WritableStream, text: string) => stream.write(text + '\n');

// ---------------------------------------------------------------------------------------------------------------
// serve

const SERVE_HELP = `genfill serve [options]: the local HTTP service (API v1) on http://127.0.0.1:7870

Options (flag > environment > config file > default):
${configHelp()}
  --help                     this text`;

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { ...parseArgsOptions(), help: { type: 'boolean' } }, strict: true, allowPositionals: false });
  if (values.help) return say(io.stdout, SERVE_HELP), 0;
  const config = resolveConfig({ flags: values, env: io.env });
  // Loaded per command, not at start-up: `genfill --help` does not pay for the HTTP stack and libvips.
  const { startService } = await import('./main');
  const service = await startService(config);
  // Handlers first: a signal that arrives between the screen and the handlers would kill the process outright.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        say(io.stderr, `${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      say(io.stderr, `${signal}: refusing new jobs, finishing the running one (up to ${config.shutdownGraceSeconds} s), answering GETs ${config.drainSeconds} s more, then exiting`);
      void service.close().then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  say(io.stderr, startupScreen(service.url, service.config));
  await stopped;
  return 0;
}

/** One screen: where the service is, and — when no model is configured — exactly what to do about it. */
export function startupScreen(url: string, config: ServiceConfig): string {
  const lines = [`genfill ${SERVICE_VERSION} serving on ${url}  (health: ${url}/v1/health)`];
  if (config.token) lines.push('Requests must carry "Authorization: Bearer <token>" (health excepted).');
  if (config.modelDir) lines.push(`SDXL model: ${config.modelDir} (loading in the background; classic fill meanwhile)`);
  else lines.push('', missingModelHelp());
  lines.push('', 'Ctrl+C stops the service (the running job may finish first).');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// inpaint

const INPAINT_OPTIONS = {
  image: { type: 'string' },
  mask: { type: 'string' },
  prompt: { type: 'string' },
  out: { type: 'string' },
  negative: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  scheduler: { type: 'string' },
  variations: { type: 'string' },
  strength: { type: 'string' },
  guidance: { type: 'string' },
  engine: { type: 'string' },
  'empty-prompt': { type: 'string' },
  'no-soft-inpainting': { type: 'boolean' },
  'no-color-match': { type: 'boolean' },
  model: { type: 'string' },
  'config-from': { type: 'string' },
  provider: { type: 'string' },
  'low-memory': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const INPAINT_HELP = `genfill inpaint --image in.png --mask mask.png --prompt "…" --out out.png [options]
Fills the white part of the mask, without a server. With --variations N > 1 writes out-1.png … out-N.png.

  --image FILE        PNG, JPEG or WebP (RGB/RGBA)
  --mask FILE         same size; white = fill, soft edges blended
  --prompt TEXT       what to paint ("" = fill from the surroundings)
  --out FILE          PNG to write
  --negative TEXT     negative prompt
  --steps N           ${LIMITS.steps.min}..${LIMITS.steps.max}, default ${LIMITS.steps.default}
  --seed N            default random (printed)
  --scheduler NAME    ${SCHEDULERS.join('|')}
  --variations N      ${LIMITS.variations.min}..${LIMITS.variations.max}, default 1
  --strength X        ${LIMITS.strength.min}..${LIMITS.strength.max}, default ${LIMITS.strength.default}
  --guidance X        ${LIMITS.guidance.min}..${LIMITS.guidance.max}, default ${LIMITS.guidance.default}
  --engine NAME       ${ENGINE_CHOICES.join('|')} (auto = sdxl when a model is given, else classic)
  --empty-prompt MODE ${EMPTY_PROMPT_MODES.join('|')}: with --engine auto and --prompt "", remove = classic fill
                      (then SDXL over it when a model is given)
  --no-soft-inpainting  plain diffusers denoising for a feathered mask (default: soft-edge denoising)
  --no-color-match    no colour match of the fill to its surroundings
  --model SOURCE      SDXL model: folder, HF repo id or .safetensors (env GENFILL_MODEL)
  --config-from DIR   diffusers folder whose configs a single-file model uses (env GENFILL_CONFIG_FROM)
  --provider NAME     execution provider (env GENFILL_PROVIDER)
  --low-memory        release the text encoders after encoding (less RAM)
  --quiet             no progress output`;

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new GenfillError('invalid_params', `--${name}: "${text}" is not a number`, name);
  return value;
}

function requiredFlag(name: string, value: string | undefined): string {
  if (value === undefined) throw new GenfillError('invalid_params', `--${name} is required (see genfill inpaint --help)`, name);
  return value;
}

async function readInput(flag: 'image' | 'mask', path: string | undefined): Promise<Buffer> {
  const file = requiredFlag(flag, path);
  try {
    return await readFile(file);
  } catch (error) {
    throw new GenfillError('invalid_params', `--${flag}: cannot read ${file} (${(error as Error).message})`, flag);
  }
}

/** out.png → out-1.png, out-2.png … when there is more than one result. */
export function variationPath(out: string, index: number, count: number): string {
  if (count === 1) return out;
  const ext = extname(out);
  return `${out.slice(0, out.length - ext.length)}-${index + 1}${ext || '.png'}`;
}

/** A progress bar on a TTY, plain lines (every 10 %) otherwise. */
function progressReporter(stream: CliIo['stderr'], quiet: boolean) {
  let lastDecile = -1;
  return {
    update(fraction: number, detail: string) {
      if (quiet) return;
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      say(stream, `${(fraction * 100).toFixed(0)}% ${detail}`);
    },
    done() {
      if (!quiet && stream.isTTY) stream.write('\n');
    },
  };
}

async function inpaint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: INPAINT_OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return say(io.stdout, INPAINT_HELP), 0;
  const out = requiredFlag('out', values.out);
  const request: JobParams = {
    prompt: requiredFlag('prompt', values.prompt),
    negativePrompt: values.negative,
    steps: numberFlag('steps', values.steps),
    seed: numberFlag('seed', values.seed),
    scheduler: values.scheduler as JobParams['scheduler'],
    variations: numberFlag('variations', values.variations) ?? 1,
    strength: numberFlag('strength', values.strength),
    guidance: numberFlag('guidance', values.guidance),
    engine: values.engine as JobParams['engine'],
    emptyPrompt: values['empty-prompt'] as JobParams['emptyPrompt'],
    ...(values['no-soft-inpainting'] && { softInpainting: false }),
    ...(values['no-color-match'] && { colorMatch: false }),
  };
  const params = resolveParams(Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)));
  const [imageBytes, maskBytes] = await Promise.all([readInput('image', values.image), readInput('mask', values.mask)]);
  // Loaded per command, not at start-up (libvips, the HTTP stack).
  const [{ decodeCropInputs }, { encodePng, PNG_FILE_COMPRESSION }, { EngineWorkerHost }, { engineSettings }] = await Promise.all([
    import('./jobs/inputs'),
    import('./imaging/codec'),
    import('./worker/engine-host'),
    import('./main'),
  ]);
  const inputs = await decodeCropInputs({ bytes: imageBytes, contentType: undefined }, { bytes: maskBytes, contentType: undefined }, params);

  const config = resolveConfig({
    env: io.env,
    overrides: {
      ...(values.model !== undefined && { modelDir: values.model }),
      ...(values['config-from'] !== undefined && { modelConfigFrom: values['config-from'] }),
      ...(values.provider !== undefined && { provider: values.provider as ServiceConfig['provider'] }),
      ...(values['low-memory'] && { lowMemory: true }),
    },
  });
  const log = createLogger({ level: 'warn' });
  const host = new EngineWorkerHost(engineSettings(config), log);
  const progress = progressReporter(io.stderr, values.quiet ?? false);
  try {
    // Let the worker report its engines; with a model, `auto` waits for SDXL to finish loading.
    await waitFor(() => {
      const worker = host.workerStatus();
      // A worker that dies before it reports would be restarted forever; a script should get an error instead.
      if (worker.state !== 'running' && worker.restarts > 0) throw new Error(`the engine worker did not start: ${worker.lastCrash}`);
      return worker.state === 'running';
    });
    if (config.modelDir && params.engine !== 'classic') {
      progress.update(0, 'loading the SDXL model');
      await waitFor(() => host.engineStatuses().find((s) => s.name === 'sdxl')?.state !== 'loading');
      const sdxl = host.engineStatuses().find((s) => s.name === 'sdxl');
      if (sdxl?.state !== 'ready') say(io.stderr, `warning: the SDXL model is ${sdxl?.state ?? 'missing'}: ${sdxl?.reason ?? 'no reason given'}`);
    }
    const engine = chooseEngine(params, host.engineStatuses());
    const unused = promptUnusedWarning(params.prompt, engine, host.engineStatuses().find((s) => s.name === 'sdxl'));
    if (unused) say(io.stderr, `warning: ${unused.message}`);
    say(io.stderr, `engine ${engine}, seed ${params.seed}, ${inputs.image.width}×${inputs.image.height}`);
    const tracker = new ProgressTracker(params.variations, params.steps);
    const cancel = new CancelFlag();
    const onSigint = () => cancel.cancel();
    process.once('SIGINT', onSigint);
    const outcome = await runInpaint(host, engine, inputs, params, {
      cancel,
      onProgress: (p) => {
        const t = tracker.update(p);
        const where = t.variation === null ? '' : `variation ${t.variation + 1}/${t.variations} `;
        const eta = t.etaSeconds === null ? '' : ` eta ${t.etaSeconds.toFixed(0)} s`;
        const phase = t.unit === 'pass' && t.phase === 'denoising' ? 'filling' : t.phase;
        const unit = t.unit ?? 'step';
        const speed = t.stepsPerSecond === undefined ? '' : ` (${t.stepsPerSecond.toFixed(2)} ${unit === 'pass' ? 'passes' : 'steps'}/s)`;
        progress.update(t.fraction, `${phase} ${where}${unit} ${t.step} of ${t.steps}${eta}${speed}`);
      },
    }).finally(() => process.off('SIGINT', onSigint));
    progress.done();
    if (outcome.cancelled) say(io.stderr, `cancelled: writing the ${outcome.results.length} variation(s) that had finished`);
    for (const warning of [...inputs.warnings, ...outcome.warnings]) say(io.stderr, `warning: ${warning}`);
    for (const [index, result] of outcome.results.entries()) {
      const path = variationPath(out, index, outcome.results.length);
      await writeFile(path, await encodePng(result.pixels, PNG_FILE_COMPRESSION));
      say(io.stdout, `${path} (seed ${result.seed})`);
    }
    return 0;
  } finally {
    await host.close();
  }
}

async function waitFor(condition: () => boolean, intervalMs = 50): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

// ---------------------------------------------------------------------------------------------------------------
// doctor

const DOCTOR_HELP = `genfill doctor [--model SOURCE] [--config-from DIR] [--graph-dtype auto|fp32|fp16] [--check-provider NAME]
Checks the SDXL model (env GENFILL_MODEL: an ONNX export or diffusers folder, a Hugging Face repo id in the local
cache, or a single-file .safetensors, whose graphs it then builds) and the execution providers, and says what to fix.
--check-provider NAME runs the provider self-test (a small graph of the ops an SDXL export uses, on NAME and on CPU,
compared op by op) and prints its verdict.
--graph-dtype auto (default) builds the graphs as the service would for --check-provider NAME, else for the first
provider auto tries here: fp16 compute on a GPU provider, fp32 on cpu.
Exit code 1 when the model folder is broken or the checked provider cannot be used.`;

async function doctor(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: 'string' }, 'config-from': { type: 'string' }, 'graph-dtype': { type: 'string' }, 'check-provider': { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return say(io.stdout, DOCTOR_HELP), 0;
  const modelDir = values.model ?? io.env.GENFILL_MODEL ?? null;
  const configFrom = values['config-from'] ?? io.env.GENFILL_CONFIG_FROM;
  const graphDtype = values['graph-dtype'] ?? io.env.GENFILL_GRAPH_DTYPE ?? 'auto';
  const { graphCompute, isGraphDtype } = await import('./models/graph-precision');
  if (!isGraphDtype(graphDtype)) return say(io.stderr, `--graph-dtype must be auto, fp32 or fp16, not ${graphDtype}`), 2;
  const { inspectModelFolder } = await import('./pipeline/model-folder');
  const { PROVIDERS, describeExecutionProviders, providerCandidates } = await import('./runtime/providers');
  const { createOrtRuntime } = await import('./runtime/ort-runtime');
  const runtime = createOrtRuntime();
  const checked = values['check-provider'];
  // The provider whose precision `auto` builds for: the checked one, else the first the service would try.
  const graphProvider = checked !== undefined && Object.hasOwn(PROVIDERS, checked) ? (checked as keyof typeof PROVIDERS) : providerCandidates('auto', runtime.availableProviders())[0];
  const compute = graphCompute(graphDtype, graphProvider);
  const fixes: string[] = [];
  let broken = false;

  say(io.stdout, `genfill ${SERVICE_VERSION} on Node ${process.version} (${process.platform}/${process.arch})\n`);
  if (!modelDir) {
    say(io.stdout, 'Model: none configured (the classic fill works without one)');
    fixes.push(missingModelHelp());
  } else {
    const { resolveModelSource } = await import('./models/model-source');
    const progress = progressReporter(io.stderr, false);
    let resolved: Awaited<ReturnType<typeof resolveModelSource>>;
    try {
      resolved = await resolveModelSource(modelDir, { configFrom, compute, onProgress: (done, total, label) => progress.update(done / total, label) });
    } catch (error) {
      say(io.stdout, `Model: ${modelDir}: BROKEN\n  ✗ ${(error as Error).message}`);
      return 1;
    } finally {
      progress.done();
    }
    const report = await inspectModelFolder(resolved.dir);
    say(io.stdout, `Model: ${describeModel(resolved.identity)}: ${report.ok ? 'OK' : 'BROKEN'}`);
    if (resolved.dir !== modelDir) {
      say(io.stdout, `  graphs built by genfill in ${resolved.dir}, computing in ${compute === 'float16' ? 'fp16' : 'fp32'} (VAE fp32; --graph-dtype ${graphDtype}${graphDtype === 'auto' ? ` for ${graphProvider}` : ''})`);
    }
    if (report.summary.pipelineClass) say(io.stdout, `  pipeline ${report.summary.pipelineClass}, UNet in-channels ${report.summary.unetInChannels ?? '?'}`);
    for (const problem of report.problems) say(io.stdout, `  ✗ ${problem}`);
    if (!report.ok) {
      broken = true;
      fixes.push(`Fix the model folder above, or export it again:\n  ${MODEL_EXPORT_COMMAND}`);
    }
  }

  say(io.stdout, '\nExecution providers (✓ = included in this onnxruntime build; the GPU itself is checked when a model loads):');
  for (const provider of describeExecutionProviders(runtime.availableProviders())) {
    say(io.stdout, `  ${provider.available ? '✓' : '·'} ${provider.name.padEnd(9)} ${provider.available ? 'available' : provider.hint}`);
  }
  if (checked !== undefined) {
    const { runProviderCheck } = await import('./runtime/probe/doctor-check');
    const result = await runProviderCheck(runtime, checked);
    say(io.stdout, `\nProvider self-test on ${checked}:\n${result.lines.join('\n')}`);
    if (!result.usable) {
      broken = true;
      fixes.push(result.fix);
    }
  }
  say(io.stdout, fixes.length ? `\nWhat to do:\n${fixes.join('\n\n')}` : '\nNothing to fix.');
  return broken ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// model: install (download from the Hugging Face hub)

const modelInstallHelp = (env: CliIo['env']) => `genfill model install [repo-id] [--revision R]
Downloads a diffusers SDXL inpainting repo from the Hugging Face hub (default ${DEFAULT_INSTALL_REPO}: its fp16
weights, ≈7 GB) into the Hugging Face cache, where other Hugging Face tools find it too. Every file is checked
against the hub's sha256 / git hash; an interrupted download resumes when the command runs again.

  --revision R   branch, tag or commit hash (default main)

Environment: HF_HUB_CACHE or HF_HOME (where the cache is; now ${hubCacheDir(env)}), HF_TOKEN (gated or private
repos), HF_ENDPOINT (a mirror), HF_HUB_OFFLINE, HTTPS_PROXY / HTTP_PROXY / NO_PROXY (a proxy; HTTP_PROXY alone serves https too).`;

async function modelInstall(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { revision: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: true });
  if (values.help) return say(io.stdout, modelInstallHelp(io.env)), 0;
  if (positionals.length > 1) throw new GenfillError('invalid_params', `one repo id at most, got ${positionals.join(' ')} (see genfill model install --help)`);
  const repoId = positionals[0] ?? DEFAULT_INSTALL_REPO;
  const bar = new ByteProgressBar(io.stderr);
  let showProgress = false;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await installFromHub({
      repoId,
      revision: values.revision,
      env: io.env,
      userAgent: `genfill/${SERVICE_VERSION}`,
      signal: stop.signal,
      onPlan: (plan, { cacheDir, missingBytes }) => {
        for (const note of plan.notes) say(io.stderr, `note: ${note}`);
        const weights = plan.weights.map((w) => `${w.component} ${w.variant}`).join(', ');
        const left = missingBytes === plan.totalBytes ? '' : missingBytes ? `, ${formatBytes(missingBytes)} still to fetch` : ', all in the cache already';
        say(io.stderr, `${repoId}: ${plan.files.length} files, ${formatBytes(plan.totalBytes)} (${weights}) into ${cacheDir}${left}`);
        showProgress = missingBytes > 0;
      },
      onProgress: (p) => showProgress && bar.update(p.doneBytes, p.totalBytes, p.file, p.fetchedBytes),
    });
    bar.done();
    const byName = result.revision === 'main' ? repoId : result.snapshotDir;
    say(io.stdout, `${repoId}@${result.revision} (${result.commit}) is installed${result.downloadedBytes ? ` (${formatBytes(result.downloadedBytes)} downloaded)` : ''}:`);
    say(io.stdout, `  ${result.snapshotDir}`);
    say(io.stdout, `Use it:\n  npm start -- --model ${byName}\n  npx genfill doctor --model ${byName}`);
    return 0;
  } finally {
    bar.done();
    process.off('SIGINT', onSigint);
  }
}

// model: convert (build the ONNX graphs into a folder)

const MODEL_CONVERT_HELP = `genfill model convert <source> --out <dir> [--config-from <diffusers folder>] [--variant fp32|fp16]
                      [--graph-dtype fp32|fp16]
Builds the ONNX graphs of an SDXL inpainting model — a diffusers folder, a Hugging Face repo id in the local cache, or
a single-file .safetensors (configs: SDXL inpainting's own, or --config-from) — into an optimum-layout folder that
--model <dir> loads. Weights are hard-linked into <dir>, not copied (copied once where a hard link is impossible).
--variant picks a diffusers folder's weight files; --graph-dtype the graphs' precision (fp16: for GPU providers; the
VAE stays fp32).`;

async function modelConvert(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' }, 'config-from': { type: 'string' }, variant: { type: 'string' }, 'graph-dtype': { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return say(io.stdout, MODEL_CONVERT_HELP), 0;
  if (positionals.length !== 1 || !values.out) return say(io.stderr, MODEL_CONVERT_HELP), 2;
  for (const flag of ['variant', 'graph-dtype'] as const) {
    const value = values[flag];
    if (value !== undefined && value !== 'fp32' && value !== 'fp16') return say(io.stderr, `--${flag} must be fp32 or fp16, not ${value}`), 2;
  }
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const { planFor } = await import('./models/model-source');
  const { writeGraphFolder } = await import('./models/graph-folder');
  const out = resolve(values.out);
  if (existsSync(out)) return say(io.stderr, `genfill model convert: ${out} already exists; choose a new folder (nothing is overwritten)`), 1;
  const plan = planFor(positionals[0], { configFrom: values['config-from'], variant: values.variant as 'fp32' | 'fp16' | undefined });
  if ('onnx' in plan) return say(io.stderr, `genfill model convert: ${plan.onnx} is already an ONNX export; use it with --model as it is`), 1;
  const progress = progressReporter(io.stderr, false);
  const started = Date.now();
  try {
    await writeGraphFolder(plan, out, { compute: values['graph-dtype'] === 'fp16' ? 'float16' : 'float32', onProgress: (done, total, label) => progress.update(done / total, label), log: (line) => say(io.stderr, line) });
  } finally {
    progress.done();
  }
  say(io.stdout, `${out}: ${describeModel(plan.identity)} in ${((Date.now() - started) / 1000).toFixed(1)} s\nUse it: npm start -- --model ${out}`);
  return 0;
}

const MODEL_COMMANDS: Record<string, { run: Command; summary: string }> = {
  install: { run: modelInstall, summary: 'install [repo-id]  download an SDXL inpainting model from Hugging Face' },
  convert: { run: modelConvert, summary: 'convert <source> --out <dir>  build its ONNX graphs into a folder (diffusers folder, repo id, .safetensors)' },
};

const MODEL_HELP = `genfill model <command>: get an SDXL inpainting model
${Object.values(MODEL_COMMANDS).map((c) => `  genfill model ${c.summary}`).join('\n')}
  genfill model <command> --help`;

async function model(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h') return say(io.stdout, MODEL_HELP), name ? 0 : 2;
  const command = MODEL_COMMANDS[name];
  if (!command) return say(io.stderr, `genfill model: unknown command "${name}"\n\n${MODEL_HELP}`), 2;
  return command.run(rest, io);
}

// ---------------------------------------------------------------------------------------------------------------

const HELP = `genfill: local generative fill (SDXL inpainting or classic fill) for Photoshop

Usage:
  genfill serve [options]     run the local service (npm start)
  genfill inpaint [options]   fill one image from the command line, no server needed
  genfill doctor [--model M]  check the model and the execution providers
  genfill model install       download the SDXL inpainting model (≈7 GB, resumable) into the Hugging Face cache
  genfill <command> --help    options of a command (flags, environment variables, defaults)`;

const COMMANDS: Record<string, Command> = { serve, inpaint, doctor, model };

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return say(io.stdout, HELP), name ? 0 : 2;
  const command = COMMANDS[name];
  if (!command) return say(io.stderr, `genfill: unknown command "${name}"\n\n${HELP}`), 2;
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof GenfillError) say(io.stderr, `genfill ${name}: ${error.message}`);
    else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) say(io.stderr, `genfill ${name}: ${(error as Error).message} (see genfill ${name} --help)`);
    else say(io.stderr, `genfill ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
