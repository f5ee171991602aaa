/**
 * The modules under mutation testing: the files mutated, the specs that exercise them, and the
 * extra time a mutant may take over those specs' own before it counts as a timeout (killed).
 * Shared by stryker.config.mjs (one module per Stryker run) and scripts/mutation.js.
 */
const agentE2e = (name) => `apps/button-agent/test/${name}.e2e-spec.ts`;
const serverE2e = (name) => `apps/alert-server/test/${name}.e2e-spec.ts`;

exports.modules = {
  spool: {
    mutate: ['apps/button-agent/src/spool/spool.ts'],
    tests: [
      'apps/button-agent/src/spool/spool.spec.ts',
      // Not delivery-policy: it covers every line of the spool and runs for minutes, which made a
      // run take hours; the spool's own specs are held to the score on their own.
      agentE2e('spool-crash'),
      agentE2e('spool-full'),
    ],
  },
  delivery: {
    timeoutMS: 15_000,
    mutate: [
      'apps/button-agent/src/delivery/delivery.ts',
      'apps/button-agent/src/delivery/backoff.ts',
      'apps/button-agent/src/delivery/alert-sender.ts',
    ],
    // delivery-policy (real HTTP, response timeouts) proves the same end to end in npm test.
    tests: [
      'apps/button-agent/src/delivery/delivery.spec.ts',
      'apps/button-agent/src/delivery/alert-sender.spec.ts',
    ],
  },
  'rate-limiter': {
    timeoutMS: 15_000,
    mutate: [
      'apps/alert-server/src/auth/rate-limit.storage.ts',
      'apps/alert-server/src/auth/refused-addresses.ts',
      'apps/alert-server/src/auth/address-window.ts',
    ],
    tests: [
      'apps/alert-server/src/auth/rate-limit.storage.spec.ts',
      'apps/alert-server/src/auth/refused-addresses.spec.ts',
      'apps/alert-server/src/auth/address-window.spec.ts',
      // Not security-limits: a server per file and real waits (slowed refusals) made a mutant
      // cost half a minute; it stays in npm test as the proof end to end.
    ],
  },
  'auth-guard': {
    timeoutMS: 15_000,
    mutate: ['apps/alert-server/src/auth/auth.guard.ts', 'apps/alert-server/src/auth/device-auth.service.ts'],
    tests: [
      'apps/alert-server/src/auth/device-auth.service.spec.ts',
      'apps/alert-server/src/auth/auth.guard.spec.ts',
      // The security-* e2e specs prove the same end to end in npm test; here a server per mutant
      // would make the run hours long.
    ],
  },
  'alert-writes': {
    timeoutMS: 15_000,
    mutate: ['apps/alert-server/src/alerts/alerts.writes.ts'],
    tests: [
      'apps/alert-server/src/alerts/alerts.writes.spec.ts',
      // An alert's escalation starts and ends in these writes' transactions.
      'apps/alert-server/src/notifications/notifications.writes.spec.ts',
      // Not the alerts-* e2e specs: a server per spec file made a mutant cost most of a minute;
      // they prove the same through HTTP in npm test.
    ],
  },
  board: {
    // What the security post's page decides on its own: the order of the alerts, the incidents,
    // which devices need attention. Pure functions, held to their unit specs (the browser specs
    // prove the same through Chromium in npm test).
    mutate: [
      'apps/alert-server/src/dashboard/page/urgency.ts',
      'apps/alert-server/src/dashboard/page/incidents.ts',
      'apps/alert-server/src/dashboard/page/device-attention.ts',
    ],
    tests: [
      'apps/alert-server/src/dashboard/page/incidents.spec.ts',
      'apps/alert-server/src/dashboard/page/device-attention.spec.ts',
    ],
  },
  'store-commit': {
    timeoutMS: 15_000,
    // The commit path of store.ts, by lines: `write` and its queue; `close`, which commits what
    // is queued; the flush and the commit with their failure handling. Opening, readiness, its
    // probe and the writer's fallback are not it. Keep the ranges in step with the file.
    mutate: [
      'apps/alert-server/src/store/group-commit.ts',
      'apps/alert-server/src/store/store.ts:164-192',
      'apps/alert-server/src/store/store.ts:207-219',
      'apps/alert-server/src/store/store.ts:273-332',
    ],
    tests: [
      'apps/alert-server/src/store/store.spec.ts',
      'apps/alert-server/src/store/group-commit.spec.ts',
      // Not store-wal.spec: the WAL's bound comes from how connections are opened, and its
      // 1,500 fsynced commits per mutant made the run hours long.
      // A real full disk (tmpfs): the commit's failure path, the refusal and the recovery.
      serverE2e('store-disk-full'),
      // Not alerts-concurrency: a server per spec file for what store.spec shows on the store.
    ],
  },
};
