import { describe, expect, it } from 'vitest';
import { parseYamlDocs } from '../core/source.ts';
import { goDurationSeconds, lintCanaries, lintExitCode } from './lint.ts';

const lint = (yaml: string) => lintCanaries(parseYamlDocs(yaml, 'app.yaml'));

const good = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: demo, namespace: shop}
spec:
  provider: traefik
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: demo}
  service: {port: 80, targetPort: 8080}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - {name: request-success-rate, interval: 1m, thresholdRange: {min: 99}}
    webhooks:
    - {name: load, type: rollout, url: http://loadtester/, metadata: {cmd: "hey -z 1m http://demo-canary/"}}
`;

describe('canary lint', () => {
  it('a sound Canary: no findings, exit 0, and the timing figures Flagger implies', () => {
    const r = lint(good);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(lintExitCode(r)).toBe(0);
    // (5 + 1) x 60 s + 60 s window; 5 steps to 50 % + promotion.
    expect(r.timings[0]).toMatchObject({ worstCaseRollbackSeconds: 420, minPromotionSeconds: 360, steps: 5 });
  });

  it('schema errors against the CRD name file:line and the field', () => {
    const r = lint(good.replace('provider: traefik', 'provider: traefik\n  revertOnDeletion: "yes"\n  progressDeadline: 60').replace('kind: Deployment', 'kind: Deploy'));
    const schema = r.findings.filter((f) => f.rule === 'schema').map((f) => `${f.line} ${f.path}: ${f.message}`);
    expect(schema).toEqual([
      '6 spec.revertOnDeletion: expected boolean, got string',
      '7 spec.progressDeadline: unknown field "progressDeadline": the API server drops it',
      '8 spec.targetRef.kind: must be one of DaemonSet, Deployment, Service, got "Deploy"',
    ]);
    expect(lintExitCode(r)).toBe(1);
  });

  it('analysis fields Flagger reads (the CRD leaves them schemaless): bad durations, non-integers, unknown metrics', () => {
    const r = lint(good.replace('interval: 1m\n    threshold: 5', 'interval: 1 minute\n    threshold: 2.5').replace('request-success-rate', 'success'));
    expect(r.findings.filter((f) => f.rule === 'schema').map((f) => f.path)).toEqual(['spec.analysis.interval', 'spec.analysis.threshold', 'spec.analysis.metrics[0].name']);
  });

  it('nothing judged: no metrics and no judging webhooks', () => {
    const r = lint(good.replace(/    metrics:\n.*\n    webhooks:\n.*\n/, '    webhooks:\n    - {name: ok, type: confirm-rollout, url: http://gate/}\n'));
    expect(r.findings.map((f) => f.rule)).toContain('nothing-judged');
  });

  it('built-in metrics without traffic of their own stall instead of failing', () => {
    const r = lint(good.replace(/    webhooks:\n.*\n/, ''));
    const f = r.findings.find((x) => x.rule === 'stalls-without-traffic');
    expect(f?.message).toContain('halts the analysis without counting a failed check');
    expect(f?.line).toBe(13);
  });

  it('the primary label rewrite: a PDB and a NetworkPolicy peer selecting app=demo stop matching the primary pods', () => {
    const other = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: shop}
spec:
  selector: {matchLabels: {app: demo}}
  template: {metadata: {labels: {app: demo}}, spec: {containers: [{name: demo, image: demo}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: demo, namespace: shop}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: demo}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: demo}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: both, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: In, values: [demo, demo-primary]}]
`;
    const r = lint(good + other);
    const hits = r.findings.filter((f) => f.rule === 'primary-label');
    expect(hits.map((f) => `${f.line} ${f.path}`)).toEqual(['30 spec.selector', '39 spec.ingress[0].from[0].podSelector']);
    expect(hits[0]!.message).toContain('PodDisruptionBudget/demo selects app=demo');
    expect(hits[0]!.message).toContain('app=demo-primary');
  });

  it('Go durations as Flagger parses them', () => {
    expect(goDurationSeconds('1m30s')).toBe(90);
    expect(goDurationSeconds('500ms')).toBe(0.5);
    expect(goDurationSeconds('1 minute')).toBeUndefined();
  });
});
