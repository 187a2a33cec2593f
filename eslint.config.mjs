// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/node_modules/', 'bench/results.json', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed parameters are kept for their position (Error.prepareStackTrace's (error, sites)).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      // `import fs = require('node:fs')` binds the module object itself, which the probes replace functions on.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    // A replacement function passes on its own `this` and `arguments` untouched (no rest
    // array, the caller's arguments object as it is): the aliases are on purpose.
    files: ['src/agent/probes/**', 'test/unit/wrap.test.ts'],
    rules: { 'prefer-rest-params': 'off', '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    // Tests look for control characters in output; fixtures block with empty busy loops.
    files: ['test/**', 'fixtures/**'],
    rules: { 'no-control-regex': 'off', 'no-empty': 'off' },
  },
  {
    // Plain JavaScript: the bin, fixtures (programs loopwatch watches), bench and test support.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly',
        __filename: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearTimeout: 'readonly',
        clearInterval: 'readonly', setImmediate: 'readonly', performance: 'readonly', URL: 'readonly', globalThis: 'readonly',
        queueMicrotask: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', AbortController: 'readonly', fetch: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
