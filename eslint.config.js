import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layer rules (docs/architecture.md#layers), enforced: shared is pure, the core never sees
// electron, the renderer reaches the core only through src/shared's typed contract.
const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'url',
  'util',
  'stream',
  'events',
  'worker_threads',
];
const electronOnly = {
  group: ['electron', 'electron/*'],
  message:
    'Only the Electron shell (src/main/index.ts, src/main/electron/*, src/preload) may import electron: the core must run under plain Node.',
};

// The database is reached only through the typed repositories of src/main/store/repos (their
// writes go through the store's retrying transaction/write): no query builder, no store internals,
// no raw `db` handle anywhere else in the main process.
const rawDatabase = [
  {
    group: ['drizzle-orm', 'drizzle-orm/*'],
    message: 'Only src/main/store talks SQL: add or use a method of a repository in src/main/store/repos.',
  },
  {
    group: ['**/store/store', '**/store/store.js'],
    message: 'Import the store through src/main/store (its index), and reach data through src/main/store/repos.',
  },
];
const rawDbAccess = {
  selector: "MemberExpression[property.name='db']",
  message:
    'The raw database handle is internal to src/main/store: use a repository of src/main/store/repos (writes are retried there).',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'migrations/**',
      '.tmp/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [electronOnly] }],
    },
  },
  {
    files: ['src/main/index.ts', 'src/main/electron/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electronOnly,
            {
              group: nodeBuiltins,
              message: 'src/shared is pure: no Node built-ins (it runs in the sandboxed renderer too).',
            },
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'src/shared imports nothing from the other layers.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electronOnly,
            {
              group: nodeBuiltins,
              message:
                'The renderer is sandboxed: no Node built-ins. Ask the core through the typed API (src/shared/ipc).',
            },
            {
              group: ['**/main/**', '**/preload/**'],
              message: 'The renderer imports only src/shared and its own files; reach the core through the typed API.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/store/**', 'src/main/**/*.test.ts', 'src/main/index.ts', 'src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [electronOnly, ...rawDatabase] }],
      'no-restricted-syntax': ['error', rawDbAccess],
    },
  },
  {
    // Playwright fixtures must destructure their dependencies, even when there are none.
    files: ['e2e/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['e2e/fixtures/**/*.mjs', 'scripts/**/*.mjs', 'bin/**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
);
