/**
 * Which engine a job runs on. `auto` takes SDXL when it is ready, else classic. An empty prompt stays with SDXL
 * (it paints from the surroundings); with `emptyPrompt: 'remove'` it is a removal: SDXL over a classic prefill when
 * SDXL is ready (remove.ts), the classic content-aware fill alone otherwise. Asking for an engine that cannot run is
 * a 503.
 */
import { GenfillError } from '../../core/errors';
import type { EmptyPromptMode, EngineChoice, EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';

/** States in which an engine accepts jobs (a loading engine runs them once loaded). */
const ACCEPTING: ReadonlySet<EngineStatus['state']> = new Set(['ready', 'loading']);

export function defaultEngine(statuses: readonly EngineStatus[]): EngineName | null {
  const state = (name: EngineName) => statuses.find((s) => s.name === name)?.state;
  if (state('sdxl') === 'ready') return 'sdxl';
  const classic = state('classic');
  if (classic && ACCEPTING.has(classic)) return 'classic';
  return null;
}

export interface EngineRequest {
  engine: EngineChoice;
  prompt: string;
  emptyPrompt: EmptyPromptMode;
}

/** Engine `auto`, an empty prompt and "empty prompt removes". */
export function isRemoval(request: EngineRequest): boolean {
  return request.engine === 'auto' && request.emptyPrompt === 'remove' && request.prompt.trim() === '';
}

export function chooseEngine(request: EngineRequest, statuses: readonly EngineStatus[]): EngineName {
  const choice: EngineChoice = isRemoval(request) && defaultEngine(statuses) !== 'sdxl' ? 'classic' : request.engine;
  if (choice === 'auto') {
    const engine = defaultEngine(statuses);
    if (!engine) throw new GenfillError('engine_unavailable', 'no engine can run right now (see GET /v1/health)', 'params.engine');
    return engine;
  }
  const status = statuses.find((s) => s.name === choice);
  if (!status || !ACCEPTING.has(status.state)) {
    const reason = status?.reason ?? 'unknown engine';
    throw new GenfillError('engine_unavailable', `the ${choice} engine is ${status?.state ?? 'unavailable'}: ${reason}`, 'params.engine');
  }
  return choice;
}
