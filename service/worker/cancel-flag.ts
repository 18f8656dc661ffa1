/**
 * A cancellation flag shared between threads: the main thread sets it, the engine reads it between steps. Being
 * shared memory, it is seen at once even while the worker's event loop is blocked inside an engine step.
 */
export class CancelFlag {
  readonly buffer: SharedArrayBuffer;
  readonly #cell: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.#cell = new Int32Array(buffer);
  }

  cancel(): void {
    Atomics.store(this.#cell, 0, 1);
  }

  get cancelled(): boolean {
    return Atomics.load(this.#cell, 0) !== 0;
  }
}
