import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Canary, CanaryStatus } from './index.ts';
import { generate } from './generate.ts';

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  names: {kind: Widget}
  versions:
    - name: v1
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, description: How big.}
                port: {x-kubernetes-int-or-string: true}
                mode: {type: string, enum: [fast, slow]}
                tags: {type: array, items: {type: string}}
                labels: {type: object, additionalProperties: {type: string}}
                raw: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

describe('flagger-types generator', () => {
  const ts = generate(crd, 'test');
  it('maps OpenAPI v3 to TypeScript', () => {
    expect(ts).toContain("apiVersion: 'example.io/v1';");
    expect(ts).toMatch(/export interface WidgetSpec \{[\s\S]*\/\*\* How big\. \*\/\n  size: number;/);
    expect(ts).toContain('port?: number | string;');
    expect(ts).toContain('mode?: "fast" | "slow";');
    expect(ts).toContain('tags?: Array<string>;');
    expect(ts).toContain('labels?: Record<string, string>;');
    expect(ts).toContain('raw?: Record<string, unknown>;');
  });

  it('the generated Flagger types accept a tutorial canary and know its status phases', () => {
    const canary: Canary = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }] },
      },
    };
    expect(canary.spec?.analysis?.threshold).toBe(5);
    expectTypeOf<NonNullable<CanaryStatus['phase']>>().toEqualTypeOf<'' | 'Initializing' | 'Initialized' | 'Waiting' | 'Progressing' | 'WaitingPromotion' | 'Promoting' | 'Finalising' | 'Succeeded' | 'Failed' | 'Terminating' | 'Terminated'>();
  });
});
