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
    // The application layer: use cases over the domain and the ports they declare in
    // src/app/ports.ts. Adapters (SQL, Kafka, Kubernetes, chain, gRPC clients) live in src/infra
    // and are handed in; the app sees only their interfaces, so its specs run on in-memory fakes.
    files: ['services/*/src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/infra', '**/infra/**'],
              message:
                'src/app depends on src/domain and on the ports it declares in src/app/ports.ts; adapters live in src/infra and are injected.',
            },
            {
              group: [...impureModules, 'uuidv7', 'crypto', 'node:crypto'],
              message:
                'src/app does no I/O itself: declare a port in src/app/ports.ts and implement it in src/infra (time and ids come from the Clock and IdSource ports).',
            },
            {
              group: [
                '@starminer/eventing',
                '@starminer/service-kit',
                '@starminer/chain',
                '@starminer/node-identity',
              ],
              allowTypeImports: true,
              message:
                'src/app may use the types of this library but not its runtime (drivers, servers, signers): take them through a port.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'src/app does no I/O: declare a port.' },
      ],
    },
  },
  {
    // The app's specs and their fixtures are not shipped: they may use the libraries' test
    // doubles (service-kit's ManualClock and SequentialIds), which do no I/O. Adapters stay out.
    files: ['services/*/src/app/**/*.spec.ts', 'services/*/src/app/**/*.fixtures.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/infra', '**/infra/**'],
              message:
                'app specs run the use cases on in-memory fakes of their ports, not on the adapters in src/infra.',
            },
          ],
        },
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
