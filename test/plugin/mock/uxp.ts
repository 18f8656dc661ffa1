/** A simulated `uxp` module: the host version and the entrypoints registry. */
import type { UxpModule } from '../../../plugin/host/photoshop-host';

export interface MockUxp extends UxpModule {
  entrypoints: { setup(config: unknown): void; config: unknown };
}

export function mockUxp(version = '26.0.0'): MockUxp {
  return {
    host: { version },
    entrypoints: {
      config: null,
      setup(config: unknown) {
        if (this.config) throw new Error('entrypoints.setup can be called only once');
        this.config = config;
      },
    },
  };
}
