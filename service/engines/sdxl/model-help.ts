/** What a user needs to hear about the SDXL model folder: the export command, and what to do when none is set. */

/** The exact command that produces the model folder the sdxl engine loads. */
export const MODEL_EXPORT_COMMAND =
  'optimum-cli export onnx --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1 --task inpainting <dir>';

/** What to do when no model is configured: shown once at startup, and as the sdxl engine's reason. */
export function missingModelHelp(): string {
  return [
    'No SDXL model is configured: jobs run on the classic fill (no prompt, fills from the surroundings).',
    'To enable SDXL inpainting, download the model once (≈7 GB, resumable) and point the service at it:',
    '  npx genfill model install',
    '  npm start -- --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1',
    'or export it with Python (pip install optimum-onnx diffusers):',
    `  ${MODEL_EXPORT_COMMAND}`,
    '  npm start -- --model <dir>        or        GENFILL_MODEL=<dir> npm start',
  ].join('\n');
}
