/**
 * Classifier-free guidance (diffusers SDXL pipeline, denoising loop step 3–4) with the optional guidance rescale of
 * Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are Flawed", §3.4).
 */

/**
 * noisePred is the UNet output for the CFG batch [negative×batch, positive×batch] (each sample C·H·W floats,
 * negative half first); out receives batch samples of ε_u + g(ε_c − ε_u). If guidanceRescale φ > 0, each sample is
 * then blended with itself rescaled to the text prediction's spread: ε = φ·ε·(std_c/std_cfg) + (1−φ)·ε, with torch's
 * unbiased std (N−1) over C·H·W.
 */
export function applyGuidance(
  noisePred: Float32Array,
  batch: number,
  guidance: number,
  guidanceRescale: number,
  out: Float32Array,
): void {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`guidance batch ${batch} must be a positive integer`);
  if (!Number.isFinite(guidance)) throw new Error(`guidance scale ${guidance} must be a finite number`);
  if (!(guidanceRescale >= 0 && guidanceRescale <= 1)) {
    throw new Error(`guidance rescale ${guidanceRescale} must be between 0 and 1`);
  }
  if (noisePred.length % (2 * batch) !== 0 || out.length * 2 !== noisePred.length) {
    throw new Error(
      `guidance: noisePred has ${noisePred.length} values and out ${out.length}; ` +
        `expected 2·${batch} samples in noisePred and ${batch} in out`,
    );
  }
  const size = out.length / batch;
  const positiveOffset = out.length;
  for (let b = 0; b < batch; b++) {
    const start = b * size;
    const end = start + size;
    for (let i = start; i < end; i++) {
      const uncond = noisePred[i];
      out[i] = uncond + guidance * (noisePred[positiveOffset + i] - uncond);
    }
    if (guidanceRescale > 0) rescale(noisePred.subarray(positiveOffset + start, positiveOffset + end), out.subarray(start, end), guidanceRescale);
  }
}

/** In place on one sample: cfg ← cfg·(φ·std(text)/std(cfg) + 1 − φ). */
function rescale(text: Float32Array, cfg: Float32Array, phi: number): void {
  const stdText = unbiasedStd(text);
  const stdCfg = unbiasedStd(cfg);
  // A constant prediction has no spread to match; torch would divide by zero here.
  if (stdCfg === 0) return;
  const factor = phi * (stdText / stdCfg) + (1 - phi);
  for (let i = 0; i < cfg.length; i++) cfg[i] *= factor;
}

/** Two-pass standard deviation with Bessel's correction (torch.std's default), accumulated in double. */
function unbiasedStd(values: Float32Array): number {
  const n = values.length;
  if (n < 2) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    squares += d * d;
  }
  return Math.sqrt(squares / (n - 1));
}
