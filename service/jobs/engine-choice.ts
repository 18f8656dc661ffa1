/**
 * Which engine a job runs on. `auto` follows the descriptor table's order (SDXL when it is ready, else classic). An
 * empty prompt stays with SDXL (it paints from the surroundings) unless the client asks for `emptyPrompt: 'remove'`,
 * which takes the content-aware fill. Asking for an engine that cannot run is a 503.
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

export function chooseEngine(
  request: { engine: EngineChoice; prompt: string; emptyPrompt: EmptyPromptMode },
  statuses: readonly EngineStatus[],
): EngineName {
  const removing = request.emptyPrompt === 'remove' && request.prompt.trim() === '';
  const remover = ENGINES.find((engine) => engine.removesObjects)!.name;
  const choice: EngineChoice = request.engine === 'auto' && removing ? remover : request.engine;
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
