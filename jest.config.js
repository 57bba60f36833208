/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    // Type-checking is `npm run build`'s job; transpiling alone keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 120000,
  // Most of the suite's time is spent waiting on child processes (PostgreSQL, PgBouncer, the cdk CLI): two workers on
  // two cores overlap those waits. Jest would otherwise run a 2-core machine's tests in one process, one after another.
  maxWorkers: 2,
};
