/**
 * Which engine a job runs on. `auto` follows the descriptor table's order (SDXL when it is ready, else classic). An
 * empty prompt stays with SDXL (it paints from the surroundings); with `emptyPrompt: 'remove'` it is a removal: SDXL
 * over a classic prefill when SDXL is ready (remove.ts), the content-aware fill alone otherwise. Asking for an engine
 * that cannot run is a 503.
 */
import { GenfillError } from '../../core/errors';
import type { EmptyPromptMode, EngineChoice, EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import { ENGINES } from '../engines/descriptors';

/** States in which an engine accepts jobs (a loading engine runs them once loaded). */
const ACCEPTING: ReadonlySet<EngineStatus['state']> = new Set(['ready', 'loading']);

export function defaultEngine(statuses: readonly EngineStatus[]): EngineName | null {
  for (const engine of ENGINES) {
    const state = statuses.find((s) => s.name === engine.name)?.state;
    if (state && engine.autoStates.has(state)) return engine.name;
  }
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
  const remover = ENGINES.find((engine) => engine.removesObjects)!.name;
  const choice: EngineChoice = isRemoval(request) && defaultEngine(statuses) !== 'sdxl' ? remover : request.engine;
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
