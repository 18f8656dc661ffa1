/**
 * Job warnings with a code a client can act on (core/protocol `JobWarning`). Engines and input checks report plain
 * text (code `other`); the queue adds what only it can see, such as a prompt that no engine read.
 */
import type { EngineName } from '../../core/params';
import type { EngineStatus, JobWarning } from '../../core/protocol';

export function otherWarning(message: string): JobWarning {
  return { code: 'other', message };
}

/**
 * A prompt was typed but the classic fill answers (it reads no prompt): say so, and how to get prompts used — a model
 * to install, or the engine to pick when SDXL is there.
 */
export function promptUnusedWarning(prompt: string, engine: EngineName, sdxl: EngineStatus | undefined): JobWarning | null {
  if (engine !== 'classic' || prompt.trim() === '') return null;
  const start = 'the prompt was not used: the classic content-aware fill answered, and it fills from the surroundings only.';
  if (sdxl?.state === 'ready' || sdxl?.state === 'loading') {
    return { code: 'prompt_unused', message: `${start} Choose the engine "auto" or "sdxl" to generate from the prompt.` };
  }
  const why = sdxl?.state === 'failed' ? ` The SDXL model failed to load (${sdxl.reason ?? 'no reason given'}).` : ' No SDXL model is installed.';
  return {
    code: 'prompt_unused',
    message: `${start}${why} To generate from prompts, add the model: npx genfill model install (then restart the service).`,
  };
}
