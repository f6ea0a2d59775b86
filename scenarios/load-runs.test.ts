import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { capacityPlan, loadPlan, parseProfile, sloGates, surgePlan } from './load-runs.ts';

describe('load entry points: plans and input', () => {
  it('a bad profile value is an InputError at profile.<field>, not a ZodError', () => {
    const e = (() => {
      try {
        parseProfile({ kind: 'constant', rate: 10, duration: '2x' });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).issues[0]).toMatchObject({ path: 'profile.duration', message: expect.stringContaining('not a duration: "2x"') });
  });

  it('the SLO becomes gates on p99 and error rate', () => {
    expect(sloGates({ p99Ms: 100, maxErrorRate: 0.01 })).toEqual([
      { name: 'p99 ≤ 100 ms', metric: 'latency_p99', max: 100 },
      { name: 'error rate ≤ 1%', metric: 'error_rate', max: 0.01 },
    ]);
    expect(sloGates({})).toEqual([]);
  });

  it('plans list stages, the total length and the gates without running anything', () => {
    const p = loadPlan({ url: 'http://127.0.0.1:1/', profile: { kind: 'constant', rate: 10, duration: '30s' }, gates: sloGates({ p99Ms: 500 }) });
    expect(p).toMatchObject({ target: 'http://127.0.0.1:1/', totalMs: 30_000, stages: [{ name: 'constant', from: 10, to: 10, duration: 30_000 }], gates: [{ metric: 'latency_p99' }] });
    const s = surgePlan({ target: 'http://127.0.0.1:1/', baselineRps: 10, warmup: '2s', rampUp: '2s', hold: '10s', rampDown: '0s' });
    expect(s.stages.map((x) => x.name)).toEqual(['baseline', 'ramp-up', 'hold']);
    expect(s.totalMs).toBe(14_000);
    expect(s.slo).toEqual({ p99Ms: 500, maxErrorRate: 0.01 });
    expect(capacityPlan({ target: 'http://127.0.0.1:1/', startRps: 100, stepRps: 100, maxRps: 300, stepDuration: '5s' }).stages.map((x) => x.from)).toEqual([100, 200, 300]);
  });
});
