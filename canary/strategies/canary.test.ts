import { describe, expect, it } from 'vitest';
import { Histogram } from '../../core/histogram.ts';
import type { JournalEvent } from '../../core/events.ts';
import { canaryReplicas, placement } from '../routers/replicas.ts';
import { Attribution } from '../traffic.ts';
import { planLines } from './canary.ts';
import { mergeDiff, newTemplate } from '../template.ts';
import { stepKind } from '../../core/steps.ts';

const tpl = () => ({
  metadata: { labels: { app: 'demo' } },
  spec: { containers: [{ name: 'demo', image: 'demo:v1', env: [{ name: 'VERSION', value: 'v1' }, { name: 'DRAIN', value: '2s' }] }] },
});

describe('canary strategy pieces', () => {
  it('turns step weights into replica counts, with a temporary extra replica when needed', () => {
    expect(canaryReplicas(10, 3)).toBe(1); // 0.33 rounds to 0: never fewer than 1
    expect(placement(10, 3)).toEqual({ asked: 10, effective: 25, canaryReplicas: 1, stableReplicas: 3 });
    expect(placement(50, 3)).toMatchObject({ canaryReplicas: 3, effective: 50 });
    expect(placement(10, 9)).toMatchObject({ canaryReplicas: 1, effective: 10 });
    expect(placement(25, 9)).toMatchObject({ canaryReplicas: 3, effective: 25 });
  });

  it('builds the new template from a pod-template change without touching the stable one', () => {
    const stable = tpl();
    const p = { env: { VERSION: 'v2', ERROR_RATE: '0.2' }, image: 'demo:v2' } as never;
    const t = newTemplate(stable as never, p, 'x.yaml', 'ns');
    expect(t.spec.containers[0]).toEqual({ name: 'demo', image: 'demo:v2', env: [{ name: 'DRAIN', value: '2s' }, { name: 'VERSION', value: 'v2' }, { name: 'ERROR_RATE', value: '0.2' }] });
    expect(stable.spec.containers[0]!.image).toBe('demo:v1');
  });

  it('computes the merge patch that turns one template into another (and back)', () => {
    const a = tpl();
    const b = newTemplate(a as never, { env: { VERSION: 'v2' } } as never, 'x', 'ns');
    (b.metadata as { annotations?: Record<string, string> }).annotations = { x: '1' };
    expect(mergeDiff(b, a)).toEqual({ metadata: { annotations: null }, spec: { containers: a.spec.containers } });
    expect(mergeDiff(a, a)).toEqual({});
  });

  it('attributes traffic: versions seen before the canary are stable, the new one is the canary', () => {
    const at = new Attribution();
    const w = (t: number, version: string, failures = 0): JournalEvent =>
      ({ type: 'window', step: 'load', start: t, end: t + 1000, labels: { version }, requests: 10, failures, latency: new Histogram().toJSON(), v: 1, seq: 0, t, wall: '' }) as JournalEvent;
    at.observe(w(0, 'v1'));
    at.lock();
    at.observe(w(1000, 'v1'));
    at.observe(w(2000, 'v2', 3));
    at.observe(w(3000, 'v2', 1));
    at.observe(w(4000, 'v1', 1));
    expect([...at.stable]).toEqual(['v1']);
    expect(at.canary).toBe('v2');
    expect(at.t0).toBe(2000);
    expect(at.lastCanaryEnd).toBe(4000);
    expect(at.failuresBetween(2000, 4000)).toEqual({ v2: 4, v1: 1 });
    expect(at.drain().map((s) => s.role)).toEqual(['stable', 'canary', 'canary', 'stable']);
  });

  it('plan shows steps, replica counts, thresholds and the worst-case time to rollback', () => {
    const kind = stepKind('canary')!;
    const params = kind.params.parse({ env: { VERSION: 'v2' } });
    const lines = planLines({ id: 'canary', kind: 'canary', section: 'release', at: 0, params, source: { file: 'x' } } as never, { target: { workload: { kind: 'Deployment', name: 'demo' } } } as never).join('\n');
    expect(lines).toMatch(/steps: 10 % → 25 % → 50 % → promote/);
    expect(lines).toMatch(/with S=3: 10 % → 1 canary \(25 %\), 25 % → 1 canary \(25 %\), 50 % → 3 canary \(50 %\)/);
    expect(lines).toMatch(/error rate ≤ min\(1 %, stable \+ 1 points\); p99 ≤ min\(300 ms, max\(1.5 × stable, stable \+ 20 ms\)\)/);
    expect(lines).toMatch(/worst case to a rollback decision: 180 s per step/);
  });

  it('rejects a canary without a new version, and decreasing steps', () => {
    const kind = stepKind('canary')!;
    expect(kind.params.safeParse({}).error?.issues[0]?.message).toMatch(/give the new version/);
    expect(kind.params.safeParse({ image: 'x', steps: [50, 10] }).error?.issues[0]?.message).toMatch(/steps must increase/);
  });
});
