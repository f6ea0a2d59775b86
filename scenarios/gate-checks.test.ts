import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { loadScenario } from './load.ts';

async function issuesOf(file: string): Promise<string[]> {
  try {
    await loadScenario(file);
  } catch (e) {
    if (e instanceof InputError) return e.message.split('\n');
    throw e;
  }
  return [];
}

// One file, every mistake: all are reported at once, each at its file:line:column.
const mistakes: Array<[string, RegExp]> = [
  ['misspelled metric', /gate-mistakes\.yaml:9:14 gates\[0\]\.metric: unknown metric "error_rat"; did you mean error_rate\?/],
  ['impossible quantile', /gate-mistakes\.yaml:10:14 gates\[1\]\.metric: unknown metric "latency_p42".*latency quantiles: latency_p50/],
  ['label no step records', /gate-mistakes\.yaml:11:34 gates\[2\]\.where\.versoin: no step records the label "versoin"; did you mean version\?/],
  ['phase without a fault', /gate-mistakes\.yaml:12:33 gates\[3\]\.phase: during needs a fault window, and this scenario has no faults/],
  ['figure no step records', /gate-mistakes\.yaml:13:14 gates\[4\]\.metric: no step records "rolloutSeconds": it is recorded by a deploy step/],
  ['ratio written as a percent number', /gate-mistakes\.yaml:14:31 gates\[5\]\.max: error_rate is a ratio between 0 and 1: 5 would be 500 %/],
  ['duration on a ratio', /gate-mistakes\.yaml:15:31 gates\[6\]\.max: error_rate is a ratio .*not a duration/],
  ['percentage on a latency', /gate-mistakes\.yaml:16:32 gates\[7\]\.max: latency_p99 is a latency in ms .*not a percentage/],
];

describe('validate refuses gates that could never measure anything', () => {
  it('reports every mistake in one pass', async () => {
    const issues = await issuesOf('scenarios/fixtures/bad/gate-mistakes.yaml');
    expect(issues).toHaveLength(mistakes.length);
  });
  it.each(mistakes)('%s', async (_name, want) => {
    const issues = await issuesOf('scenarios/fixtures/bad/gate-mistakes.yaml');
    expect(issues.some((l) => want.test(l)), issues.join('\n')).toBe(true);
  });
});

describe('every shipped scenario makes sense', () => {
  // Scenario files: YAML/JSON at the top of scenarios/, and TypeScript modules that export one.
  const shipped = readdirSync('scenarios').filter((f) => /\.(ya?ml|json)$/.test(f) || (/\.ts$/.test(f) && !f.endsWith('.test.ts') && /^export default defineScenario\(/m.test(readFileSync(join('scenarios', f), 'utf8'))));
  it('there are shipped scenarios', () => expect(shipped.length).toBeGreaterThan(0));
  it.each(shipped)('%s validates with no issue', async (f) => {
    expect(await issuesOf(join('scenarios', f))).toEqual([]);
  });
  it('the seed is derived from the scenario when none is given: plan and run agree', async () => {
    const a = await loadScenario('scenarios/probe.yaml');
    const b = await loadScenario('scenarios/probe.yaml');
    expect(a.seed).toBe(b.seed);
    expect((await loadScenario('scenarios/probe.yaml', { seed: 7 })).seed).toBe(7);
  });
});
