/**
 * Service configuration: one table of options, read from (in rising precedence) the defaults, an optional JSON
 * file (`--config` / GENFILL_CONFIG), environment variables and command-line flags, then validated as a whole.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EXECUTION_PROVIDERS, type ExecutionProviderChoice } from '../core/params';
import { DEFAULT_HOST, DEFAULT_PORT } from '../core/protocol';
import { LOG_LEVELS, type LogLevel } from './log';
import { GRAPH_DTYPES, type GraphDtype } from './models/graph-precision';
import { parseAllowedHost } from './net/host-names';

export interface ServiceConfig {
  host: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** The SDXL inpainting model (ONNX export, diffusers folder, HF repo id, or .safetensors); null = classic engine only. */
  modelDir: string | null;
  /** Diffusers folder whose configs and tokenizers a single-file --model uses (default: SDXL-inpaint's own). */
  modelConfigFrom: string | null;
  /** Compute precision of the graphs genfill builds (UNet and text encoders; the VAE stays fp32); auto: per provider. */
  graphDtype: GraphDtype;
  provider: ExecutionProviderChoice;
  /** Required when binding a non-loopback address; then every /v1 route but health needs `Bearer <token>`. */
  token: string | null;
  /** Extra Host header names accepted besides the loopback ones (DNS-rebinding guard). */
  allowedHosts: string[];
  /** Origins allowed to send requests besides none (CLI, curl, the panel) and the service's own; `*` = any. */
  allowedOrigins: string[];
  /** Origins that get CORS headers (and are allowed); empty = no CORS headers at all. */
  corsOrigins: string[];
  /** Jobs waiting behind the running one before new ones are refused with 429. */
  queueCapacity: number;
  /** How long finished jobs (and their results) are kept. */
  retentionSeconds: number;
  /** Memory for retained results; past it the oldest finished jobs are dropped before their retention ends. */
  retainedMegabytes: number;
  lowMemory: boolean;
  batchVariations: boolean;
  /** On shutdown, how long the running job may take to finish before it is cancelled. */
  shutdownGraceSeconds: number;
  /** On shutdown, once no job runs, how long GETs are still answered so clients fetch what finished. */
  drainSeconds: number;
  /** Open connections at most; further ones are closed at once. */
  maxConnections: number;
  logLevel: LogLevel;
  quiet: boolean;
  /**
   * A module exporting `createEngines(settings): Engine[]`, used instead of the built-in engines. For tests (a fake
   * engine that can crash on demand); not a command-line flag.
   */
  engineModule: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type OptionKind = 'string' | 'int' | 'bool' | 'list';

export interface ConfigOption {
  key: Exclude<keyof ServiceConfig, 'engineModule'>;
  flag: string;
  env: string;
  kind: OptionKind;
  valueName?: string;
  description: string;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  modelDir: null,
  modelConfigFrom: null,
  graphDtype: 'auto',
  provider: 'auto',
  token: null,
  allowedHosts: [],
  allowedOrigins: [],
  corsOrigins: [],
  queueCapacity: 8,
  retentionSeconds: 3600,
  retainedMegabytes: 2048,
  lowMemory: false,
  batchVariations: false,
  shutdownGraceSeconds: 30,
  drainSeconds: 10,
  maxConnections: 128,
  logLevel: 'info',
  quiet: false,
  engineModule: null,
};

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { key: 'port', flag: 'port', env: 'GENFILL_PORT', kind: 'int', valueName: 'N', description: 'TCP port (0 = any free port)' },
  { key: 'host', flag: 'host', env: 'GENFILL_HOST', kind: 'string', valueName: 'ADDR', description: 'address to bind; anything but loopback requires --token' },
  { key: 'modelDir', flag: 'model', env: 'GENFILL_MODEL', kind: 'string', valueName: 'SOURCE', description: 'SDXL inpainting model: ONNX export or diffusers folder, Hugging Face repo id (local cache), or single-file .safetensors; none = classic fill only' },
  { key: 'modelConfigFrom', flag: 'config-from', env: 'GENFILL_CONFIG_FROM', kind: 'string', valueName: 'DIR', description: 'diffusers folder whose configs a single-file --model uses (default: SDXL inpainting\'s)' },
  { key: 'graphDtype', flag: 'graph-dtype', env: 'GENFILL_GRAPH_DTYPE', kind: 'string', valueName: 'auto|fp32|fp16', description: 'compute precision of graphs genfill builds (UNet, text encoders; VAE stays fp32); auto: fp16 on a GPU provider (half the memory), fp32 on cpu' },
  { key: 'provider', flag: 'provider', env: 'GENFILL_PROVIDER', kind: 'string', valueName: 'NAME', description: `execution provider: ${EXECUTION_PROVIDERS.join('|')}` },
  { key: 'token', flag: 'token', env: 'GENFILL_TOKEN', kind: 'string', valueName: 'SECRET', description: 'require "Authorization: Bearer SECRET" on every /v1 route but health' },
  { key: 'allowedHosts', flag: 'allowed-host', env: 'GENFILL_ALLOWED_HOSTS', kind: 'list', valueName: 'NAME', description: 'extra accepted Host header name (repeatable; env: comma-separated)' },
  { key: 'allowedOrigins', flag: 'allowed-origin', env: 'GENFILL_ALLOWED_ORIGINS', kind: 'list', valueName: 'ORIGIN', description: 'origin a request may come from besides none (curl, the panel); web pages are refused (repeatable; env: comma-separated)' },
  { key: 'corsOrigins', flag: 'cors-origin', env: 'GENFILL_CORS_ORIGINS', kind: 'list', valueName: 'ORIGIN', description: 'origin that gets CORS headers, or * (repeatable; env: comma-separated)' },
  { key: 'queueCapacity', flag: 'queue-capacity', env: 'GENFILL_QUEUE_CAPACITY', kind: 'int', valueName: 'N', description: 'jobs that may wait behind the running one' },
  { key: 'retentionSeconds', flag: 'retention', env: 'GENFILL_RETENTION_SECONDS', kind: 'int', valueName: 'SECONDS', description: 'how long finished jobs and their results are kept' },
  { key: 'retainedMegabytes', flag: 'retained-mb', env: 'GENFILL_RETAINED_MB', kind: 'int', valueName: 'MB', description: 'memory for kept results; past it the oldest finished jobs go first' },
  { key: 'lowMemory', flag: 'low-memory', env: 'GENFILL_LOW_MEMORY', kind: 'bool', description: 'SDXL: release the text encoders after each prompt (less RAM, slower)' },
  { key: 'batchVariations', flag: 'batch-variations', env: 'GENFILL_BATCH_VARIATIONS', kind: 'bool', description: 'denoise all variations in one batch (faster on GPUs with spare memory)' },
  { key: 'shutdownGraceSeconds', flag: 'shutdown-grace', env: 'GENFILL_SHUTDOWN_GRACE', kind: 'int', valueName: 'SECONDS', description: 'on SIGINT/SIGTERM, time the running job gets before it is cancelled' },
  { key: 'drainSeconds', flag: 'drain-seconds', env: 'GENFILL_DRAIN_SECONDS', kind: 'int', valueName: 'SECONDS', description: 'on shutdown, after the running job: time GETs are still answered (new jobs get 503)' },
  { key: 'maxConnections', flag: 'max-connections', env: 'GENFILL_MAX_CONNECTIONS', kind: 'int', valueName: 'N', description: 'open connections at most; more are closed at once' },
  { key: 'logLevel', flag: 'log-level', env: 'GENFILL_LOG_LEVEL', kind: 'string', valueName: 'LEVEL', description: `log level: ${LOG_LEVELS.join('|')}` },
  { key: 'quiet', flag: 'quiet', env: 'GENFILL_QUIET', kind: 'bool', description: 'log warnings and errors only' },
];

export const CONFIG_FILE_FLAG = 'config';
export const CONFIG_FILE_ENV = 'GENFILL_CONFIG';

/** Node timers overflow past 2^31−1 ms (≈ 24.8 days) and then fire at once: a longer retention would drop jobs at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const configSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  modelDir: z.string().min(1).nullable(),
  modelConfigFrom: z.string().min(1).nullable(),
  graphDtype: z.enum(GRAPH_DTYPES),
  provider: z.enum(EXECUTION_PROVIDERS),
  token: z.string().min(8, 'a token needs at least 8 characters').nullable(),
  allowedHosts: z.array(
    z.string().refine((entry) => parseAllowedHost(entry) !== null, 'each must be a host name or address, optionally with :port (e.g. genfill.lan, 192.168.1.20:7870)'),
  ),
  allowedOrigins: z.array(z.string().min(1)),
  corsOrigins: z.array(z.string().min(1)),
  queueCapacity: z.number().int().min(1).max(1000),
  retentionSeconds: z.number().int().min(1).max(MAX_TIMER_SECONDS),
  retainedMegabytes: z.number().int().min(1),
  lowMemory: z.boolean(),
  batchVariations: z.boolean(),
  shutdownGraceSeconds: z.number().int().min(0).max(MAX_TIMER_SECONDS),
  drainSeconds: z.number().int().min(0).max(3600),
  maxConnections: z.number().int().min(1).max(65536),
  logLevel: z.enum(LOG_LEVELS),
  quiet: z.boolean(),
  engineModule: z.string().min(1).nullable(),
});

/** Options for `node:util` parseArgs, derived from the table. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    [CONFIG_FILE_FLAG]: { type: 'string' },
  };
  for (const option of CONFIG_OPTIONS) {
    options[option.flag] = option.kind === 'bool' ? { type: 'boolean' } : { type: 'string', multiple: option.kind === 'list' };
  }
  return options;
}

function fromText(option: ConfigOption, text: string, source: string): unknown {
  switch (option.kind) {
    case 'string':
      return text;
    case 'int': {
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${source}: "${text}" is not an integer`);
      return Number(text);
    }
    case 'bool': {
      const lower = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
      throw new ConfigError(`${source}: "${text}" is not a boolean (use true/false)`);
    }
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
}

export interface ConfigSources {
  /** Parsed flags (parseArgs `values`), keyed by flag name. */
  flags?: Record<string, string | boolean | string[] | undefined>;
  env?: Record<string, string | undefined>;
  /** Overrides applied last (programmatic use, tests). */
  overrides?: Partial<ServiceConfig>;
  readFile?: (path: string) => string;
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`the config file ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Merges defaults < config file < environment < flags < overrides, then validates. Throws ConfigError. */
export function resolveConfig(sources: ConfigSources = {}): ServiceConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? {};
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };

  const filePath = (flags[CONFIG_FILE_FLAG] as string | undefined) ?? env[CONFIG_FILE_ENV];
  if (filePath) {
    const file = readConfigFile(filePath, sources.readFile ?? ((p) => readFileSync(p, 'utf8')));
    for (const [key, value] of Object.entries(file)) {
      // engineModule loads code: tests set it programmatically, a config file may not.
      if (!(key in DEFAULT_CONFIG) || key === 'engineModule') throw new ConfigError(`the config file ${filePath} has an unknown key "${key}"`);
      merged[key] = value;
    }
  }
  for (const option of CONFIG_OPTIONS) {
    const text = env[option.env];
    if (text !== undefined && text !== '') merged[option.key] = fromText(option, text, option.env);
  }
  for (const option of CONFIG_OPTIONS) {
    const value = flags[option.flag];
    if (value === undefined) continue;
    if (option.kind === 'list') merged[option.key] = (value as string[]).flatMap((v) => fromText(option, v, `--${option.flag}`) as string[]);
    else if (option.kind === 'bool') merged[option.key] = value;
    else merged[option.key] = fromText(option, value as string, `--${option.flag}`);
  }
  Object.assign(merged, sources.overrides ?? {});
  return validateConfig(merged);
}

function optionName(key: string): string {
  const option = CONFIG_OPTIONS.find((o) => o.key === key);
  return option ? `--${option.flag} (${option.env})` : key;
}

export function validateConfig(candidate: Record<string, unknown>): ServiceConfig {
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(`${optionName(key)}: ${issue.message} (got ${JSON.stringify(candidate[key])})`);
  }
  const config = parsed.data;
  if (!isLoopbackHost(config.host) && !config.token) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without a token: anyone on the network could use the service. ` +
        `Pass --token <secret> (or GENFILL_TOKEN), or bind 127.0.0.1.`,
    );
  }
  return config;
}

/** Loopback addresses and names: the only ones that are safe to serve without a token. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

export function configHelp(): string {
  const rows = CONFIG_OPTIONS.map((o) => {
    const left = `  --${o.flag}${o.valueName ? ` ${o.valueName}` : ''}`;
    const shown = DEFAULT_CONFIG[o.key];
    const fallback = Array.isArray(shown) ? (shown.length ? shown.join(',') : 'none') : shown === null ? 'none' : String(shown);
    return `${left.padEnd(28)} ${o.description}\n${''.padEnd(29)}env ${o.env}, default ${fallback}`;
  });
  rows.unshift(`  --${CONFIG_FILE_FLAG} FILE`.padEnd(28) + ` JSON file with any of these keys in camelCase (e.g. {"port": 7870})\n${''.padEnd(29)}env ${CONFIG_FILE_ENV}, default none`);
  return rows.join('\n');
}
