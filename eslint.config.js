// Lint = type-aware basics + the architecture's import boundaries (docs/ARCHITECTURE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const hostModules = ['photoshop', 'uxp'];
const serviceOnly = ['onnxruntime-node', 'sharp', 'express', 'multer'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', '.tmp/**'] },
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
    },
  },
  {
    files: ['service/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...hostModules, 'react', 'react-dom'], message: 'The service never touches Photoshop or React.' },
            { group: ['**/plugin/**'], message: 'The service must not depend on the plugin.' },
          ],
        },
      ],
    },
  },
);
