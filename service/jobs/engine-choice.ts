/**
 * Which engine a job runs on. `auto` takes SDXL when it is ready, else classic. An empty prompt stays with SDXL
 * (it paints from the surroundings) unless the client asks for `emptyPrompt: 'remove'`, which takes the classic
 * content-aware fill. Asking for an engine that cannot run is a 503.
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

export function chooseEngine(
  request: { engine: EngineChoice; prompt: string; emptyPrompt: EmptyPromptMode },
  statuses: readonly EngineStatus[],
): EngineName {
  const removing = request.emptyPrompt === 'remove' && request.prompt.trim() === '';
  const choice: EngineChoice = request.engine === 'auto' && removing ? 'classic' : request.engine;
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
