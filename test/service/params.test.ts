import { describe, expect, it } from 'vitest';
import { GenfillError } from '../../core/errors';
import { LIMITS } from '../../core/params';
import { parseHostHeader } from '../../service/net/host-names';
import { resolveParams, variationSeeds } from '../../service/jobs/params';
import { ProgressTracker } from '../../service/jobs/progress';

function fieldOf(input: unknown): string | undefined {
  try {
    resolveParams(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GenfillError);
    expect((error as GenfillError).code).toBe('invalid_params');
    return (error as GenfillError).field;
  }
  return undefined;
}

describe('job params', () => {
  it('applies the LIMITS defaults and draws a seed when none is given', () => {
    const params = resolveParams({ prompt: 'a cat' }, () => 1234);
    expect(params).toMatchObject({
      steps: LIMITS.steps.default,
      guidance: LIMITS.guidance.default,
      strength: LIMITS.strength.default,
      variations: LIMITS.variations.default,
      scheduler: 'euler',
      engine: 'auto',
      seed: 1234,
      randomSeed: true,
      negativePrompt: undefined,
    });
    expect(resolveParams({ prompt: '', seed: null }, () => 5).seed).toBe(5);
    expect(resolveParams({ prompt: '', seed: 0 }).randomSeed).toBe(false);
  });

  it('names the offending field', () => {
    expect(fieldOf({})).toBe('params.prompt');
    expect(fieldOf({ prompt: '', steps: 0 })).toBe('params.steps');
    expect(fieldOf({ prompt: '', strength: 0 })).toBe('params.strength');
    expect(fieldOf({ prompt: '', seed: 2 ** 32 })).toBe('params.seed');
    expect(fieldOf({ prompt: '', variations: 9 })).toBe('params.variations');
    expect(fieldOf({ prompt: '', scheduler: 'lms' })).toBe('params.scheduler');
    expect(fieldOf({ prompt: '', engine: 'dalle' })).toBe('params.engine');
    expect(fieldOf({ prompt: '', image: { width: 4, height: 4, channels: 2 } })).toBe('params.image.channels');
    expect(fieldOf({ prompt: '', placement: { document: { width: 1, height: 1 } } })).toBe('params.placement.crop');
    expect(fieldOf(null)).toBe('params');
  });

  it('gives each variation seed + i, wrapping at 2^32', () => {
    expect(variationSeeds(10, 3)).toEqual([10, 11, 12]);
    expect(variationSeeds(2 ** 32 - 1, 2)).toEqual([2 ** 32 - 1, 0]);
  });
});

describe('progress tracking', () => {
  it('spreads the fraction over variations and estimates time from measured steps', () => {
    let now = 0;
    const tracker = new ProgressTracker(2, 4, () => now);
    expect(tracker.current).toMatchObject({ phase: 'queued', fraction: 0, etaSeconds: null });
    expect(tracker.update({ phase: 'denoising', variation: 0, step: 1, steps: 4 }).stepsPerSecond).toBeUndefined();
    now = 1000;
    const p = tracker.update({ phase: 'denoising', variation: 0, step: 2, steps: 4 });
    expect(p.fraction).toBeCloseTo(0.25);
    // 1 s per step, 2 + 4 steps left
    expect(p.etaSeconds).toBeCloseTo(6);
    expect(p.stepsPerSecond).toBeCloseTo(1);
    now = 1500;
    // Two more steps in 0.5 s: 3 steps in 1.5 s overall.
    expect(tracker.update({ phase: 'denoising', variation: 0, step: 4, steps: 4 }).stepsPerSecond).toBeCloseTo(2);
    const second = tracker.update({ phase: 'denoising', variation: 1, step: 2, steps: 4 });
    expect(second.fraction).toBeCloseTo(0.75);
    expect(tracker.update({ phase: 'loading', variation: 0, step: 0, steps: 4 }).fraction).toBeCloseTo(0.75);
    expect(tracker.finish(true)).toMatchObject({ phase: 'done', fraction: 1, etaSeconds: 0 });
  });

  it('treats a batch (variation null) as one pass', () => {
    const tracker = new ProgressTracker(3, 10, () => 0);
    expect(tracker.update({ phase: 'denoising', variation: null, step: 5, steps: 10 }).fraction).toBeCloseTo(0.5);
  });
});

describe('Host header parsing', () => {
  it('splits names and ports, IPv6 in brackets', () => {
    expect(parseHostHeader('127.0.0.1:7870')).toEqual({ name: '127.0.0.1', port: 7870 });
    expect(parseHostHeader('LocalHost')).toEqual({ name: 'localhost', port: null });
    expect(parseHostHeader('[::1]:80')).toEqual({ name: '::1', port: 80 });
    expect(parseHostHeader('a:b:c')).toBeNull();
    expect(parseHostHeader('')).toBeNull();
  });
});
