/** Argument checks shared by the schedulers: once per call, never per element. */

export function checkStepIndex(scheduler: string, stepIndex: number, steps: number): void {
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps) {
    throw new Error(`${scheduler}: step index ${stepIndex} is outside 0..${steps - 1}`);
  }
}

export function checkSameLength(scheduler: string, reference: Float32Array, arrays: Record<string, Float32Array>): void {
  for (const [name, array] of Object.entries(arrays)) {
    if (array.length !== reference.length) {
      throw new Error(`${scheduler}: ${name} has ${array.length} values, expected ${reference.length} like sample`);
    }
  }
}
