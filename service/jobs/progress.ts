/**
 * Engine progress → job progress: a fraction over the whole job (all variations), and an ETA and steps per second
 * from the measured time per denoising step (the device's speed, visible in every snapshot). Pure; the clock is injected.
 */
import type { JobProgress } from '../../core/protocol';
import type { EngineProgress } from '../engine-io';

export class ProgressTracker {
  readonly #variations: number;
  readonly #now: () => number;
  #progress: JobProgress;
  #last: { variation: number | null; step: number; at: number } | null = null;
  #stepSeconds = 0;
  #stepSamples = 0;

  constructor(variations: number, steps: number, now: () => number = () => performance.now()) {
    this.#variations = variations;
    this.#now = now;
    this.#progress = { phase: 'queued', variation: null, variations, step: 0, steps, fraction: 0, etaSeconds: null };
  }

  get current(): JobProgress {
    return { ...this.#progress };
  }

  update(p: EngineProgress): JobProgress {
    const now = this.#now();
    const steps = Math.max(1, p.steps);
    if (p.phase === 'denoising') this.#measure(p, now);
    const within = Math.min(1, p.step / steps);
    const fraction = p.variation === null ? within : (p.variation + within) / this.#variations;
    const remainingSteps = p.variation === null ? steps - p.step : (this.#variations - p.variation - 1) * steps + (steps - p.step);
    this.#progress = {
      phase: p.phase,
      ...(p.unit === undefined ? {} : { unit: p.unit }),
      variation: p.variation,
      variations: this.#variations,
      step: p.step,
      steps: p.steps,
      // Never backwards: a new variation's "loading" must not undo the previous one's progress.
      fraction: Math.max(this.#progress.fraction, Math.min(1, fraction)),
      etaSeconds: this.#stepSamples > 0 ? Math.max(0, remainingSteps) * (this.#stepSeconds / this.#stepSamples) : null,
      ...(this.#stepSamples > 0 && this.#stepSeconds > 0 ? { stepsPerSecond: this.#stepSamples / this.#stepSeconds } : {}),
    };
    return this.current;
  }

  finish(succeeded: boolean): JobProgress {
    this.#progress = { ...this.#progress, phase: 'done', fraction: succeeded ? 1 : this.#progress.fraction, etaSeconds: 0 };
    return this.current;
  }

  #measure(p: EngineProgress, now: number): void {
    const last = this.#last;
    if (last && last.variation === p.variation && p.step > last.step) {
      this.#stepSeconds += (now - last.at) / 1000;
      this.#stepSamples += p.step - last.step;
    }
    this.#last = { variation: p.variation, step: p.step, at: now };
  }
}
