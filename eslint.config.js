// Lint = type-aware basics + the architecture's import boundaries (docs/ARCHITECTURE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const hostModules = ['photoshop', 'uxp'];
const serviceOnly = ['onnxruntime-node', 'sharp', 'express', 'busboy'];

// Inside the service each outside library has one home folder (docs/ARCHITECTURE.md); elsewhere it is refused.
const LIBRARY_HOMES = [
  { modules: ['onnxruntime-node', 'onnxruntime-common'], home: 'service/runtime', message: 'onnxruntime is reached through the runtime port (service/runtime/runtime.ts).' },
  { modules: ['sharp'], home: 'service/imaging', message: 'sharp is used only in service/imaging/.' },
  { modules: ['express', 'busboy'], home: 'service/http', message: 'express and busboy are used only in service/http/.' },
];
const serviceBase = [
  { group: [...hostModules, 'react', 'react-dom'], message: 'The service never touches Photoshop or React.' },
  { group: ['**/plugin/**'], message: 'The service must not depend on the plugin.' },
];
/** The service's import rule for files in `folder` (null: outside every library's home). */
function serviceImports(folder) {
  const foreign = LIBRARY_HOMES.filter((entry) => entry.home !== folder).map((entry) => ({ group: entry.modules, message: entry.message }));
  return { 'no-restricted-imports': ['error', { patterns: [...serviceBase, ...foreign] }] };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', 'build.*/**', '.tmp/**', '.device/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', ...hostModules, ...serviceOnly, 'react', 'react-dom'], message: 'core/ is pure: no host, Node, runtime or UI imports.' },
            { group: ['**/service/**', '**/plugin/**'], message: 'core/ must not depend on the service or the plugin.' },
          ],
        },
      ],
    },
  },
  {
    files: ['plugin/**/*.ts', 'plugin/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', ...serviceOnly], message: 'The plugin runs in UXP: no Node or service modules.' },
            { group: ['**/service/**'], message: 'The plugin talks to the service over HTTP only.' },
          ],
        },
      ],
      // UXP lacks these, or implements them in ways that break our uploads; tests run on Node, which would hide it.
      'no-restricted-globals': [
        'error',
        { name: 'TextEncoder', message: 'UXP has no TextEncoder: keep bytes ASCII (client/multipart.ts asciiJson) or use charCodeAt.' },
        { name: 'TextDecoder', message: 'UXP has no TextDecoder: read JSON with response.json(), text with response.text().' },
        { name: 'FormData', message: "UXP's FormData renames file parts and may drop their types: build the body with client/multipart.ts." },
      ],
    },
  },
  { files: ['service/**/*.ts'], rules: serviceImports(null) },
  ...LIBRARY_HOMES.map((entry) => ({ files: [`${entry.home}/**/*.ts`], rules: serviceImports(entry.home) })),
  {
    // Benchmarks time the service through its own modules; bench/gpu.ts is bundled without onnxruntime's internals.
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: LIBRARY_HOMES[0].modules, message: LIBRARY_HOMES[0].message }] }] },
  },
);
