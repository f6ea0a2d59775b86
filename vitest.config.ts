import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// End-to-end files that share the lab without disturbing each other: each case works in its own
// namespace, touches no node, and judges nothing that another run's CPU use would move (no rate or
// throughput assertions). They run three files at a time (project e2e-shared: most of their time is
// spent waiting for pods, rollouts and decisions, not on a CPU). Every other e2e file —
// node faults, the lab's own teardown, load figures measured against a rate — runs alone (project e2e),
// so a new file is serial until someone decides otherwise.
// Longest first (their times in a clean-clone CI run, bench/results/ci.md): a clean clone has no
// vitest cache, and files started in this order spread over the three workers evenly; by vitest's
// fallback (larger files first) the two canary halves and the scenarios started together and the
// pass took 314 s instead of about 240 s.
const shared = [
  'test/e2e/canary.test.ts', // 177 s
  'test/e2e/scenarios-shared.test.ts', // 171 s
  'test/e2e/canary-failures.test.ts', // 126 s
  'test/e2e/chaos-pods.test.ts', // 100 s
  'test/e2e/canary-weighted.test.ts', // with the flagger add-on only
  'test/e2e/flagger.test.ts', // with the flagger add-on only
  'test/e2e/spine.test.ts', // 30 s
  'test/e2e/recover.test.ts', // 27 s
  'test/e2e/policies-probe.test.ts', // 20 s
  'test/e2e/policies.test.ts', // 14 s
  'test/e2e/kube.test.ts', // 14 s
  'test/e2e/report-html.test.ts', // 4 s
  'test/e2e/evidence.test.ts', // 2 s
];

/** vitest's own order, except that the e2e-shared files start in the order of the list above. */
class SharedFirstLongest extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = shared.findIndex((p) => f.moduleId.endsWith('/' + p));
      return f.project.name === 'e2e-shared' && i >= 0 ? i : -1;
    };
    const mine = sorted.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b));
    let next = 0;
    return sorted.map((f) => (rank(f) >= 0 ? mine[next++]! : f));
  }
}

// The kind provider's file brings up its own kind lab (GAUNTLET_LAB_PROVIDER=kind; scripts/test.sh
// runs its smoke set after the local lab's passes): a project of its own, never in the e2e pass.
const kind = ['test/e2e/kind.test.ts'];

export default defineConfig({
  test: {
    sequence: { sequencer: SharedFirstLongest },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', 'dist/**', 'test/e2e/**'],
          testTimeout: 30_000,
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
