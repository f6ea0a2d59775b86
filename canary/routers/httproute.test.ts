import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { stepKind } from '../../core/steps.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { planLines } from '../strategies/canary.ts';
import { placementOf, restorePatch, splitRoute, weights, zeroCanary, type RouteSpec } from './httproute.ts';

const vs = { stable: 'demo-stable', canary: 'demo-canary', port: 80 };
const route = (): RouteSpec => ({
  parentRefs: [{ name: 'lab', namespace: 'gw' }],
  rules: [
    { matches: [{ path: { type: 'PathPrefix', value: '/shop' } }], backendRefs: [{ name: 'demo', port: 80 }] },
    { matches: [{ path: { type: 'PathPrefix', value: '/other' } }], backendRefs: [{ name: 'other', port: 80 }] },
    { backendRefs: [{ name: 'demo', port: 80, weight: 3 }, { name: 'legacy', port: 80, weight: 1 }] },
  ],
});

describe('httproute router: weights on an HTTPRoute', () => {
  it('gives the exact step percentage, independent of replicas (per mille)', () => {
    expect(weights(10)).toEqual({ stable: 900, canary: 100 });
    expect(weights(12.5)).toEqual({ stable: 875, canary: 125 });
    expect(placementOf(10, 3)).toEqual({ asked: 10, effective: 10, canaryReplicas: 1, stableReplicas: 3 });
    expect(placementOf(50, 3)).toMatchObject({ effective: 50, canaryReplicas: 2 });
    expect(placementOf(10, 30)).toMatchObject({ effective: 10, canaryReplicas: 3 });
  });

  it("splits every backendRef to the Service into stable-only and canary-only refs, keeping other refs' shares", () => {
    const r = splitRoute(route(), 'shop', 'demo', 'shop', vs, 10);
    expect(r.parentRefs).toEqual(route().parentRefs);
    expect(r.rules![0]!.backendRefs).toEqual([{ name: 'demo-stable', port: 80, weight: 900 }, { name: 'demo-canary', port: 80, weight: 100 }]);
    expect(r.rules![1]).toEqual(route().rules![1]);
    // 3:1 with legacy: demo's 3/4 is split 90/10, legacy keeps 1/4.
    expect(r.rules![2]!.backendRefs).toEqual([{ name: 'demo-stable', port: 80, weight: 2700 }, { name: 'demo-canary', port: 80, weight: 300 }, { name: 'legacy', port: 80, weight: 1000 }]);
    expect(() => splitRoute({ rules: [{ backendRefs: [{ name: 'other' }] }] }, 'shop', 'demo', 'shop', vs, 10)).toThrow(/no rule of the HTTPRoute sends traffic to Service\/demo/);
    // A ref to a Service of the same name in another namespace is not the target's.
    expect(() => splitRoute({ rules: [{ backendRefs: [{ name: 'demo', namespace: 'elsewhere' }] }] }, 'shop', 'demo', 'shop', vs, 10)).toThrow(/nothing to split/);
  });

  it('rollback first sets the canary weight to 0, and is a no-op when it already is', () => {
    const split = splitRoute(route(), 'shop', 'demo', 'shop', vs, 25);
    const z = zeroCanary(split, 'demo-canary')!;
    expect(z.rules![0]!.backendRefs).toEqual([{ name: 'demo-stable', port: 80, weight: 750 }, { name: 'demo-canary', port: 80, weight: 0 }]);
    expect(zeroCanary(z, 'demo-canary')).toBeUndefined();
    expect(zeroCanary(route(), 'demo-canary')).toBeUndefined();
  });

  it('restores the journaled spec exactly (keys added since are removed)', () => {
    const cur = { ...splitRoute(route(), 'shop', 'demo', 'shop', vs, 50), hostnames: ['x'] };
    expect(restorePatch(cur, route())).toEqual({ ...route(), hostnames: null });
  });

  it('plan shows the weights', () => {
    const params = stepKind('canary')!.params.parse({ env: { VERSION: 'v2' }, steps: [10, 50], router: { kind: 'httproute', parentRef: { name: 'lab', namespace: 'gauntlet-addons' } } });
    const lines = planLines({ id: 'canary', kind: 'canary', section: 'release', at: 0, params, source: { file: 'x' } } as never, { target: { namespace: 'shop', workload: { kind: 'Deployment', name: 'demo' } } } as never).join('\n');
    expect(lines).toMatch(/HTTPRoute\/demo-gauntlet created on Gateway gauntlet-addons\/lab, path \/shop\/demo/);
    expect(lines).toMatch(/10 % → stable 900 \/ canary 100, 50 % → stable 500 \/ canary 500/);
    expect(lines).toMatch(/canary weight 0 in the route at once/);
    expect(lines).toMatch(/latency rank test: Mann-Whitney U .* rollback at z ≥ 4\.31 \(alpha 0\.001 per step over 120 looks\)/);
    expect(lines).toMatch(/attribution: the version the service reports; if its responses carry none, per-version Services probed directly at 20 req\/s each/);
    expect(stepKind('canary')!.params.parse({ env: { VERSION: 'v2' }, router: 'replicas' }).router).toEqual({ kind: 'replicas' });
  });

  it('bad router fields are input errors at their file:line:column', async () => {
    const issues = await loadScenario('canary/fixtures/router-mistakes.yaml').then(
      () => [],
      (e) => (e instanceof InputError ? e.message.split('\n') : Promise.reject(e)),
    );
    const want = [
      /router-mistakes\.yaml:9:5 release\[0\]\.router: httproute: give route: <an existing HTTPRoute> or parentRef/,
      /router-mistakes\.yaml:13:\d+ release\[1\]\.router\.parentRef: httproute: give route or parentRef, not both/,
      /router-mistakes\.yaml:17:\d+ release\[2\]\.router\.kind: .*replicas.*httproute/,
      /router-mistakes\.yaml:21:\d+ release\[3\]\.router.*rout/,
    ];
    for (const w of want) expect(issues.some((l: string) => w.test(l)), issues.join('\n')).toBe(true);
  });
});
