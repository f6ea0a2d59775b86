/**
 * The order vitest starts test files in: the lab-sharing end-to-end files slowest first, so the
 * three that take 100-160 s each start together and the short ones fill in behind them (longest
 * processing time first). vitest's own order is by the previous run's durations when it has them
 * and by file size when it does not, as on a clean clone in CI: there the slowest shared file
 * started two minutes in and the pass ran 287 s where 210 s would do (bench/results/ci.md).
 * Files not listed keep vitest's order, after the listed ones.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Shared e2e files by their duration in CI (2026-12-02), slowest first. */
export const SLOWEST_FIRST = [
  'test/e2e/scenarios-shared.test.ts', // 162 s
  'test/e2e/canary.test.ts', // 159 s
  'test/e2e/canary-failures.test.ts', // 100 s
  'test/e2e/chaos-pods.test.ts', // 96 s
  'test/e2e/spine.test.ts', // 28 s
  'test/e2e/recover.test.ts', // 20 s
  'test/e2e/policies-probe.test.ts', // 19 s
  'test/e2e/policies.test.ts', // 14 s
  'test/e2e/kube.test.ts', // 10 s
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((p) => f.moduleId.endsWith(`/${p}`));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return base.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
  }
}
