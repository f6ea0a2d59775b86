import { describe, expect, it } from 'vitest';
import { canaryRunScenario } from './canary-runs.ts';

describe('gauntlet canary run: the scenario it builds', () => {
  it('loads from t = 0 with a connection per request, and starts the canary 5 s later', () => {
    const s = canaryRunScenario({ workload: 'deployment/demo', namespace: 'shop', url: 'http://10.79.0.80/', rate: 200, durationMs: 60_000, canary: { env: { VERSION: 'v2' }, steps: [10, 50] } });
    expect(s.target).toEqual({ url: 'http://10.79.0.80/', workload: { kind: 'Deployment', name: 'demo' }, namespace: 'shop' });
    const [load, canary] = s.steps;
    expect(load).toMatchObject({ kind: 'k6', at: 0, params: { env: { K6_NO_CONNECTION_REUSE: 'true' }, profile: { kind: 'constant', rate: 200, duration: 58_000 } } });
    expect(canary).toMatchObject({ kind: 'canary', section: 'release', at: 5000, params: { steps: [10, 50], env: { VERSION: 'v2' }, router: { kind: 'replicas' } } });
  });

  it('--router httproute: on an existing route, or one created on a Gateway', () => {
    const base = { workload: 'deployment/demo', url: 'http://10.77.0.5/shop/demo/', rate: 50, durationMs: 60_000 };
    expect(canaryRunScenario({ ...base, canary: { env: { VERSION: 'v2' }, router: { kind: 'httproute', route: 'demo' } } }).steps[1]!.params).toMatchObject({ router: { kind: 'httproute', route: 'demo' } });
    expect(() => canaryRunScenario({ ...base, canary: { env: { VERSION: 'v2' }, router: { kind: 'httproute' } } })).toThrow(/router: httproute: give route/);
  });

  it('bad input is a usage error naming the flag or field', () => {
    const base = { url: 'http://x/', rate: 1, durationMs: 1000 };
    expect(() => canaryRunScenario({ ...base, workload: 'demo', canary: { image: 'x' } })).toThrow(/--workload: expected deployment\/<name>, got "demo"/);
    expect(() => canaryRunScenario({ ...base, workload: 'deployment/demo', canary: {} })).toThrow(/give the new version/);
  });
});
