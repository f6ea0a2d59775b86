import { describe, expect, it } from 'vitest';
import { profileSchema, requestsBetween, stagesOf, toK6Scenarios, totalDuration, vusFor } from './profiles.ts';

describe('profiles', () => {
  it('a surge is baseline, ramp to 3x, hold, ramp down, as k6 arrival-rate scenarios', () => {
    const p = profileSchema.parse({ kind: 'surge', baseline: 100, warmup: '10s', rampUp: '20s', hold: '5m', rampDown: '20s' });
    const stages = stagesOf(p);
    expect(stages.map((s) => [s.name, s.start, s.from, s.to])).toEqual([
      ['baseline', 0, 100, 100],
      ['ramp-up', 10_000, 100, 300],
      ['hold', 30_000, 300, 300],
      ['ramp-down', 330_000, 300, 100],
    ]);
    expect(totalDuration(stages)).toBe(350_000);
    const sc = toK6Scenarios(stages);
    expect(sc['hold']).toMatchObject({ executor: 'constant-arrival-rate', rate: 300, timeUnit: '1s', duration: '300000ms', startTime: '30000ms' });
    expect(sc['ramp-up']).toMatchObject({ executor: 'ramping-arrival-rate', startRate: 100, stages: [{ target: 300, duration: '20000ms' }] });
  });

  it('steps climb by a fixed increment', () => {
    const stages = stagesOf(profileSchema.parse({ kind: 'steps', from: 100, step: 50, steps: 3, stepDuration: '10s' }));
    expect(stages.map((s) => [s.name, s.start, s.from])).toEqual([
      ['step-1', 0, 100],
      ['step-2', 10_000, 150],
      ['step-3', 20_000, 200],
    ]);
  });

  it('fractional rates keep whole iterations per time unit', () => {
    const sc = toK6Scenarios(stagesOf(profileSchema.parse({ kind: 'constant', rate: 2.5, duration: '1m' })));
    expect(sc['constant']).toMatchObject({ rate: 25, timeUnit: '10s' });
  });

  it('sizes VUs from rate x latency, bounded', () => {
    expect(vusFor(1000, { expectedLatencyMs: 100, maxLatencyMs: 2000, maxVUs: 5000 })).toEqual({ preAllocatedVUs: 205, maxVUs: 2002 });
    expect(vusFor(100_000).maxVUs).toBe(5000);
  });

  it('counts the requests a ramp asks for exactly', () => {
    const [ramp] = stagesOf(profileSchema.parse({ kind: 'ramp', from: 0, to: 100, duration: '10s' }));
    expect(requestsBetween(ramp!, 0, 10_000)).toBeCloseTo(500);
    expect(requestsBetween(ramp!, 9_000, 11_000)).toBeCloseTo(95);
  });

  it('rejects a duration it cannot read, naming it', () => {
    const r = profileSchema.safeParse({ kind: 'constant', rate: 10, duration: '5 minutes' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('"5 minutes"');
  });
});
