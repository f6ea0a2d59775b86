import { defineConfig } from 'vitest/config';

// End-to-end files that share the lab without disturbing each other: each case works in its own
// namespace, touches no node, and judges nothing that another run's CPU use would move (no rate or
// throughput assertions). They run three files at a time (project e2e-shared: most of their time is
// spent waiting for pods, rollouts and decisions, not on a CPU). Every other e2e file —
// node faults, the lab's own teardown, load figures measured against a rate — runs alone (project e2e),
// so a new file is serial until someone decides otherwise.
const shared = [
  'test/e2e/canary.test.ts',
  'test/e2e/canary-failures.test.ts',
  'test/e2e/canary-weighted.test.ts',
  'test/e2e/chaos-pods.test.ts',
  'test/e2e/flagger.test.ts',
  'test/e2e/evidence.test.ts',
  'test/e2e/spine.test.ts',
  'test/e2e/policies.test.ts',
  'test/e2e/policies-probe.test.ts',
  'test/e2e/recover.test.ts',
  'test/e2e/kube.test.ts',
  'test/e2e/report-html.test.ts',
  'test/e2e/scenarios-shared.test.ts',
];

// The kind provider's file brings up its own kind lab (GAUNTLET_LAB_PROVIDER=kind; scripts/test.sh
// runs its smoke set after the local lab's passes): a project of its own, never in the e2e pass.
const kind = ['test/e2e/kind.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', 'dist/**', 'test/e2e/**'],
          testTimeout: 30_000,
          // One module graph per worker, not one per file: each file's fresh import of the CLI's
          // modules (zod, yaml, the Kubernetes client) cost more CPU than its tests (73 s of CPU
          // for the project with isolation, 50 s without). No unit file sets state another reads:
          // they pass in vitest's order and shuffled (bench/results/ci.md, 2026-12-02 citime).
          isolate: false,
          // More workers than the 2 cores: most of the project's wall time is waiting (child CLI
          // processes, a refused connection's retries, servers on loopback), not CPU.
          maxWorkers: 3,
          // The files whose cases spawn the CLI (cli/edge, cli/validate) run them concurrently:
          // at most 3 at a time, so a busy machine does not starve one case past its timeout.
          maxConcurrency: 3,
        },
      },
      {
        test: {
          name: 'e2e-shared',
          include: shared,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: true,
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...shared, ...kind],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e-kind',
          include: kind,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
