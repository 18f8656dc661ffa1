/**
 * The panel's first script: registers the panel with UXP before anything else loads (panel-slot.ts says why).
 * Keep it tiny: no React, no photoshop module.
 */
import { entrypoints } from 'uxp';
import manifest from '../manifest.json';
import { registerPanel } from './panel-slot';
import type { EntryPoints } from './panel-slot';

// The declared parameter type requires every lifecycle member, which UXP itself does not.
registerPanel(entrypoints as unknown as EntryPoints, manifest.entrypoints[0].id, globalThis);
