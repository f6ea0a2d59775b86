/**
 * What a person waiting on a long `policies check` sees on stderr: nothing for a check that ends
 * within 2 s, then each phase as it ends and the analysis's progress at most every 5 s.
 */
import { describe, expect, it } from 'vitest';
import { checkPolicies, checkProgress } from './check.ts';
import type { EgressAllowlist } from './model.ts';

describe('policies check progress', () => {
  it('stays quiet for 2 s, then reports phases and the analysis at 2 s and then at most every 5 s', () => {
    let t = 0;
    const lines: string[] = [];
    const p = checkProgress((l) => lines.push(l), () => t);
    t = 1500;
    p.phase('read 10 objects');
    p.shapes(1, 100);
    expect(lines).toEqual([]);
    t = 2500;
    p.phase('10 workloads');
    t = 2600;
    p.shapes(20, 100); // the first once 2 s have gone
    t = 6000;
    p.shapes(40, 100); // 3.4 s after the last: too soon
    t = 7600;
    p.shapes(99, 100);
    expect(lines).toEqual([
      'policies check: 10 workloads (2.5 s)',
      'policies check: analysed 20 of 100 source shapes (20 %, 2.6 s)',
      'policies check: analysed 99 of 100 source shapes (99 %, 7.6 s)',
    ]);
  });

  it('a check that ends at once prints nothing', async () => {
    const lines: string[] = [];
    const allowlist: EgressAllowlist = { name: 'a', rules: [], probeTargets: [] };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { podIP: '10.0.0.1' } };
    const r = await checkPolicies({ allowlist, objects: [{ value: pod } as never], progress: (l) => lines.push(l) });
    expect(r.summary.workloads).toBe(1);
    expect(lines).toEqual([]);
  });
});
