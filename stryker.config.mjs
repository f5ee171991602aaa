// Mutation testing of the modules that keep Vigie's promises (see docs/mutation.md).
// `node scripts/mutation.js` (npm run test:mutation) runs one Stryker process per module, with
// STRYKER_MODULE naming it: each module is mutated against the specs that exercise it only, so a
// mutant never waits for the whole unit + e2e suite (several minutes on this machine).
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
const { modules } = load('./scripts/mutation-modules.js');
const jestConfig = load('./jest.config.js');

const name = process.env.STRYKER_MODULE;
const target = modules[name];
if (!target) {
  throw new Error(`STRYKER_MODULE must name one of: ${Object.keys(modules).join(', ')} (got ${name})`);
}

// Stryker's jest runner installs its coverage environment on the top-level config only, not in
// `projects`: the unit and e2e projects share one set of options, so they are flattened into a
// single config whose testMatch is this module's specs. The system project (test/*.spec.ts) runs
// built processes from dist/ that never see a mutant, so it is left out.
const shared = { ...jestConfig.projects[0] };
delete shared.displayName;
delete shared.testMatch;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    config: {
      ...shared,
      rootDir: '.',
      testTimeout: jestConfig.testTimeout,
      testMatch: target.tests.map((spec) => `<rootDir>/${spec}`),
    },
    // perTest coverage already picks the tests of each mutant; findRelatedTests would add a
    // dependency-graph walk to every run for nothing.
    enableFindRelatedTests: false,
  },
  mutate: target.mutate,
  coverageAnalysis: 'perTest',
  // Two shared cores, other people at work: one test runner at a time.
  concurrency: 1,
  // A mutant that loops forever costs this much more than the tests' own time: generous where
  // e2e specs start processes (the spool's SIGKILL rounds), short for unit specs alone.
  timeoutMS: target.timeoutMS ?? 60_000,
  timeoutFactor: 3,
  dryRunTimeoutMinutes: 20,
  // ts-jest compiles the sources (transpile-only, isolatedModules): no type checker, which would
  // double the run time; a mutant that does not compile fails its tests and counts as killed.
  checkers: [],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  // One sandbox folder per module, so that two modules can run at once (two terminals).
  tempDirName: `.stryker-tmp-${name}`,
  // The sandbox needs the sources, the configs and node_modules (linked); not the builds, the
  // databases or the reports.
  ignorePatterns: [
    '.stryker-tmp*',
    'dist',
    'data',
    'coverage',
    'test-artifacts',
    'reports',
    'bench',
    'deploy',
    '.git',
  ],
  cleanTempDir: true,
};
