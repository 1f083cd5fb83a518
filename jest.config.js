// Test tiers by file suffix (docs/CONVENTIONS.md):
//   unit         *.spec.ts      pure logic, no I/O
//   integration  *.int-spec.ts  real Postgres, Kafka, anvil and kube-apiservers from deploy/local
//   e2e          test/e2e/*.e2e-spec.ts  the whole system
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

// ESM-only dependencies that jest (CommonJS) must transform before it can load them.
const esmPackages = [
  '@kubernetes/client-node',
  'openid-client',
  'oauth4webapi',
  'jose',
  'jsonpath-plus',
];

const shared = {
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Workspace libraries resolve to their sources, so tests never need a build first.
  moduleNameMapper: {
    '^@starminer/sdk$': '<rootDir>/sdk/src',
    '^@starminer/([a-z-]+)$': '<rootDir>/libs/$1/src',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  rootDir: __dirname,
};

module.exports = {
  // Clients of real components (Kubernetes watches, ethers providers, kafkajs) can keep a socket
  // open for a moment after a suite's teardown; the run must end when the tests have.
  forceExit: true,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeout-integration.js'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.js',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeout-e2e.js'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.js',
    },
  ],
};
