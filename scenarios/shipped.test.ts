/**
 * Every scenario shipped in scenarios/ passes `validate` and `plan` (so a broken one fails CI), says
 * in its header what it proves and what it needs on another cluster, and can be moved to its own
 * namespace and Service address with --set (the lab e2e runs them that way).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planScenario, formatPlan } from './plan.ts';
import { loadScenario } from './load.ts';

const DIR = 'scenarios';
// The library is the YAML files at the top of scenarios/ (the .ts files there are the engine).
const shipped = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

describe('shipped scenarios', () => {
  it('are the library the README names', () => {
    expect(shipped).toEqual(expect.arrayContaining(['canary-rollback.yaml', 'egress-audit.yaml', 'game-day.yaml', 'lab-demo.yaml', 'pod-kill-under-load.yaml', 'probe.yaml', 'spot-storm.yaml', 'surge-200.yaml']));
  });

  for (const f of shipped) {
    it(`${f}: validates and plans`, async () => {
      const s = await loadScenario(join(DIR, f));
      expect(s.gates.length).toBeGreaterThan(0);
      const text = formatPlan(planScenario(s, {}), false);
      expect(text).toContain(`plan for ${s.name}`);
      for (const st of s.steps) expect(text).toContain(`${st.id} [${st.section}/${st.kind}]`);
    });
  }

  for (const f of shipped.filter((x) => x !== 'probe.yaml' && x !== 'lab-demo.yaml')) {
    it(`${f}: says what it proves and what it needs elsewhere`, () => {
      const header = readFileSync(join(DIR, f), 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n');
      expect(header).toMatch(/Proves|The story/);
      expect(header).toMatch(/Elsewhere:/);
    });

    it(`${f}: runs in a namespace and at an address of your choosing (--set)`, async () => {
      const s = await loadScenario(join(DIR, f), { set: ['namespace=gameday-x', 'ip=10.79.0.250'] });
      expect(s.target.namespace).toBe('gameday-x');
      expect(s.target.url).toBe('http://10.79.0.250/');
      const text = formatPlan(planScenario(s, {}), false);
      expect(text).toContain('Namespace/gameday-x');
      expect(text).not.toContain('gauntlet-demo');
    });
  }
});
