/**
 * Three kinds of spec, one runner: unit specs beside the code, e2e specs of each app in its
 * `test/` folder, and cross-process system tests in the top-level `test/` folder.
 */
const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: {
    '^@app/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1',
    '^@app/env$': '<rootDir>/libs/env/src',
  },
  testEnvironment: 'node',
  // Mutation testing's sandboxes (copies of the sources) are not this tree's modules or specs.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp'],
};

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/libs/*/src/**/*.spec.ts'],
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'] },
    { ...shared, displayName: 'system', testMatch: ['<rootDir>/test/**/*.spec.ts'] },
  ],
};
