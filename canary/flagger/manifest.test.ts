import { describe, expect, it } from 'vitest';
import { generateCanary, ingressRoute, type CanaryDefaults } from './manifest.ts';
import { phaseTimeline, statusLabel, statusView } from './status.ts';
import type { JournalEvent } from '../../core/events.ts';

const d: CanaryDefaults = {
  name: 'demo', namespace: 'shop', provider: 'traefik', port: 80, targetPort: 8080, interval: 10_000, threshold: 1, maxWeight: 50, stepWeight: 25,
  iterations: 3, minSuccessRate: 99, maxDurationMs: 500, progressDeadlineSeconds: 120, webhookUrl: 'http://10.77.0.1:4000',
};

describe('generated Canary', () => {
  it('weighted (traefik): built-in metrics at the interval, weights, webhooks, revertOnDeletion', () => {
    const c = generateCanary(d);
    const a = c.spec.analysis as Record<string, unknown>;
    expect(c.spec.provider).toBe('traefik');
    expect(c.spec.revertOnDeletion).toBe(true);
    expect(a).toMatchObject({ interval: '10s', threshold: 1, maxWeight: 50, stepWeight: 25 });
    expect(a.metrics).toEqual([
      { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
      { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 } },
    ]);
    expect((a.webhooks as Array<{ type: string; url: string }>).map((w) => `${w.type} ${w.url}`)).toEqual([
      'confirm-rollout http://10.77.0.1:4000/confirm-rollout', 'pre-rollout http://10.77.0.1:4000/pre-rollout', 'rollout http://10.77.0.1:4000/rollout',
    ]);
  });

  it('blue/green (kubernetes): iterations, no built-in metrics (none exist without a router)', () => {
    const a = generateCanary({ ...d, provider: 'kubernetes' }).spec.analysis as Record<string, unknown>;
    expect(a.iterations).toBe(3);
    expect(a.maxWeight).toBeUndefined();
    expect(a.metrics).toEqual([]);
  });

  it('gatewayapi:v1: attached to the given Gateway, judged by the webhooks (its built-in metrics read the app\'s own series)', () => {
    const c = generateCanary({ ...d, provider: 'gatewayapi:v1', gateway: { name: 'lab', namespace: 'gauntlet-addons' } });
    expect(c.spec.service?.gatewayRefs).toEqual([{ name: 'lab', namespace: 'gauntlet-addons' }]);
    expect((c.spec.analysis as Record<string, unknown>).metrics).toEqual([]);
    expect((c.spec.analysis as Record<string, unknown>).maxWeight).toBe(50);
  });

  it('routes the app path to the TraefikService Flagger owns', () => {
    expect(ingressRoute('shop', 'demo').spec).toEqual({ entryPoints: ['web'], routes: [{ match: 'PathPrefix(`/shop/demo`)', kind: 'Rule', services: [{ name: 'demo', kind: 'TraefikService' }] }] });
  });
});

describe('Flagger status in the journal', () => {
  it('keeps the fields that matter and derives the phase timeline from the marks', () => {
    const v = statusView({ phase: 'Progressing', canaryWeight: 25, failedChecks: 1, iterations: 0, lastTransitionTime: '2026-12-01T00:00:10Z', trackedConfigs: {} });
    expect(statusLabel(v)).toBe('flagger status: Progressing weight 25 % failedChecks 1 iterations 0');
    const m = (t: number, phase: string): JournalEvent => ({ v: 1, seq: t, t, wall: '', type: 'mark', step: 'r', label: statusLabel({ phase }), data: { phase } }) as JournalEvent;
    expect(phaseTimeline([m(0, 'Initialized'), m(100, 'Progressing'), m(200, 'Progressing'), m(900, 'Failed')], 'r')).toEqual([
      { phase: 'Initialized', from: 0, to: 100 }, { phase: 'Progressing', from: 100, to: 900 }, { phase: 'Failed', from: 900 },
    ]);
  });
});
