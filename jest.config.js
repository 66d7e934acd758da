/** Jest in native ESM mode (jose 6 is ESM-only); ts-jest compiles TypeScript per file. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // The service's suites and each SDK's own (packages/*/test), in one run.
  roots: ['<rootDir>/test', '<rootDir>/packages/client/test', '<rootDir>/packages/verify/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // As in tsconfig.json's paths: the service's tests run against the SDKs' sources, not a stale build.
    '^@tokenvend/(client|verify)$': '<rootDir>/packages/$1/src/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 20000,
  // The closing line naming suites skipped for a missing outside program (test/support/outside-programs.ts).
  reporters: ['default', '<rootDir>/test/support/skipped-suites-reporter.js'],
};
