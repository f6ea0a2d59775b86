/**
 * The order vitest starts test files in: the long lab-sharing end-to-end files early, so the pass
 * does not end on a 160 s file that started late, and the short ones fill in behind them. vitest's
 * own order is by the previous run's durations when it has them and by file size when it does not,
 * as on a clean clone in CI: there the slowest shared file (scenarios-shared) started two minutes
 * in and the pass ran 287 s (bench/results/ci.md).
 *
 * Not strictly slowest first: with the three longest starting together (216 s), scenarios-shared's
 * first case judged its load while two other files were deploying and driving load too, and its
 * load-delivered gate failed once (k6 dropped 1.8 % of its iterations in one contended second). So
 * the canary files start first, a short file beside them, and scenarios-shared once their start-up
 * is over. Files not listed keep vitest's order, after the listed ones.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Shared e2e files in start order (durations in CI on 2026-12-02). */
export const START_ORDER = [
  'test/e2e/canary.test.ts', // 159 s
  'test/e2e/canary-failures.test.ts', // 100 s
  'test/e2e/spine.test.ts', // 28 s
  'test/e2e/scenarios-shared.test.ts', // 162 s
  'test/e2e/chaos-pods.test.ts', // 96 s
  'test/e2e/recover.test.ts', // 20 s
  'test/e2e/policies-probe.test.ts', // 19 s
  'test/e2e/policies.test.ts', // 14 s
  'test/e2e/kube.test.ts', // 10 s
];

export default class StartOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = START_ORDER.findIndex((p) => f.moduleId.endsWith(`/${p}`));
      return i < 0 ? START_ORDER.length : i;
    };
    return base.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
  }
}
