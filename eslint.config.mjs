// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Imports that do I/O or bind to a framework. Domain code stays pure (ARCHITECTURE.md §9.1).
const impureModules = [
  '@nestjs/*',
  'kafkajs',
  '@confluentinc/*',
  'typeorm',
  'pg',
  'ethers',
  '@kubernetes/*',
  '@grpc/*',
  '@opentelemetry/*',
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'http',
  'node:http',
  'net',
  'node:net',
  'child_process',
  'node:child_process',
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'libs/proto/src/gen/**',
      'libs/chain/src/gen/**',
      'contracts/artifacts/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Nest resolves providers by their runtime class: decorated constructor parameters
    // must be value imports, so this rule cannot hold where Nest injects.
    files: ['services/*/src/**/*.ts', 'libs/service-kit/src/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['services/*/src/domain/**/*.ts', 'libs/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: impureModules,
              message:
                'src/domain is pure: no framework or I/O imports. Put I/O in src/infra behind a port.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Domain code takes the time as an argument (no clock reads).' },
        { name: 'fetch', message: 'Domain code does no I/O.' },
      ],
    },
  },
  {
    files: ['services/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/config.ts', 'libs/testing/**', '**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            "Read the environment only in the service's config.ts, which validates it at boot.",
        },
      ],
    },
  },
);
