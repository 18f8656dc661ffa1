/** Compiles the service once before the tests: the CLI tests run bin/genfill.js, which runs build/ (tens of ms). */
export default async function setup(): Promise<void> {
  // @ts-expect-error -- a plain JavaScript build script, no declarations
  await import('../scripts/build-service.js');
}
