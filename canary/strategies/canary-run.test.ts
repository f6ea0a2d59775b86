/**
 * The canary step's run loop against an in-memory cluster and synthetic version-labelled
 * windows: the one rollback path goes through the change ledger, the stable Deployment is not
 * touched, figures are journaled; a good canary is promoted. (The lab e2e does it for real.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeLedger, unrevertedChanges } from '../../core/changes.ts';
import type { FigureEvent, JournalEvent, MarkEvent } from '../../core/events.ts';
import { Histogram } from '../../core/histogram.ts';
import { Journal, RunClock } from '../../core/journal.ts';
import type { Kube } from '../../core/kube.ts';
import { stepKind, type StepContext } from '../../core/steps.ts';
import { reportCharts } from '../../reports/charts.ts';
import { buildReport } from '../../reports/model.ts';
import './canary.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string | null> }; spec?: any; status?: any };

function merge(a: any, b: any): any {
  if (typeof b !== 'object' || b === null || Array.isArray(b) || typeof a !== 'object' || a === null || Array.isArray(a)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === null) delete out[k];
    else out[k] = merge(a[k], v);
  }
  return out;
}

/** Just enough of a cluster: objects by kind/ns/name, Deployments instantly available, canary pods Ready. */
function fakeKube() {
  const store = new Map<string, Obj>();
  const key = (r: { kind: string; name: string; namespace?: string }) => `${r.kind}/${r.namespace}/${r.name}`;
  const calls: string[] = [];
  const settle = (o: Obj) => {
    if (o.kind === 'Deployment') {
      const n = o.spec.replicas ?? 1;
      o.status = { observedGeneration: o.metadata.generation, replicas: n, updatedReplicas: n, availableReplicas: n };
    }
    return o;
  };
  const kube = {
    namespace: 'ns',
    async get(r: any) {
      const o = store.get(key(r));
      return o ? structuredClone(o) : undefined;
    },
    async list(q: any) {
      if (q.kind === 'Pod') {
        const dep = [...store.values()].find((o) => o.kind === 'Deployment' && o.metadata.labels?.['gauntlet.dev/canary']);
        const n = dep?.spec.replicas ?? 0;
        const items = Array.from({ length: n }, (_, i) => ({ metadata: { name: `canary-${i}`, namespace: 'ns', creationTimestamp: new Date().toISOString() }, status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ restartCount: 0 }] } }));
        return { items, resourceVersion: '1' };
      }
      return { items: [...store.values()].filter((o) => o.kind === q.kind), resourceVersion: '1' };
    },
    async create(o: Obj) {
      calls.push(`create ${o.kind}/${o.metadata.name}`);
      if (store.has(key({ ...o.metadata, kind: o.kind }))) throw new Error('exists');
      store.set(key({ ...o.metadata, kind: o.kind }), settle({ ...structuredClone(o), metadata: { ...o.metadata, generation: 1 } }));
      return o;
    },
    async patch(o: Obj) {
      const k = key({ ...o.metadata, kind: o.kind });
      const cur = store.get(k);
      if (!cur) throw new Error('404');
      calls.push(`patch ${o.kind}/${o.metadata.name} ${JSON.stringify(o.spec ?? o.metadata.annotations)}`);
      const next = merge(cur, { metadata: o.metadata, ...(o.spec ? { spec: o.spec } : {}) });
      if (o.spec) next.metadata.generation = (cur.metadata.generation ?? 0) + 1;
      store.set(k, settle(next));
      return next;
    },
    async delete(r: any) {
      calls.push(`delete ${r.kind}/${r.name}`);
      return store.delete(key(r)) || r.kind === 'Pod' ? 'deleted' : 'absent';
    },
  };
  return { kube: kube as unknown as Kube, store, calls };
}

const stable = (): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'demo', namespace: 'ns', generation: 1 },
  spec: { replicas: 3, selector: { matchLabels: { app: 'demo' } }, template: { metadata: { labels: { app: 'demo' } }, spec: { containers: [{ name: 'demo', image: 'demo:v1', env: [{ name: 'VERSION', value: 'v1' }] }] } } },
});

async function runCanary(canaryErrorRate: number, params: Record<string, unknown>) {
  const { kube, store, calls } = fakeKube();
  await kube.create(stable() as never);
  await kube.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo', namespace: 'ns' }, spec: { selector: { app: 'demo' } } } as never);
  const stableBefore = JSON.stringify(store.get('Deployment/ns/demo')!.spec);
  const dir = mkdtempSync(join(tmpdir(), 'canary-run-'));
  const clock = new RunClock();
  const journal = Journal.create(join(dir, 'journal.ndjson'), clock);
  const events: JournalEvent[] = [];
  journal.subscribe((e) => events.push(e));
  const changes = new ChangeLedger(journal, { kube: async () => kube });
  const kind = stepKind('canary')!;
  const step = { id: 'canary', kind: 'canary', section: 'release' as const, at: 0, params: kind.params.parse(params), source: { file: join(dir, 's.yaml') } };
  const ctl = new AbortController();
  // Load: every 100 ms, a "second" of 40 requests split by the canary's share of replicas.
  let sec = 0;
  const load = setInterval(() => {
    const canary = [...store.values()].find((o) => o.metadata.name === 'demo-canary');
    const dep = store.get('Deployment/ns/demo')!;
    const promotedV2 = JSON.stringify(dep.spec.template).includes('"v2"');
    const c = canary ? canary.spec.replicas : 0;
    const share = c / (c + 3);
    const h = new Histogram();
    for (let i = 0; i < 10; i++) h.record(5 + i / 10);
    const win = (version: string, requests: number, failures: number) => {
      if (requests > 0) journal.append({ type: 'window', step: 'load', start: clock.now(), end: clock.now() + 100, labels: { version }, requests, failures, latency: { ...h.toJSON(), n: requests - failures } } as never);
    };
    const toCanary = Math.round(40 * share);
    win(promotedV2 ? 'v2' : 'v1', 40 - toCanary, 0);
    win('v2', toCanary, Math.round(toCanary * canaryErrorRate));
    sec++;
  }, 100);
  const ctx: StepContext = {
    runId: 'run-1',
    step: step as never,
    scenario: { name: 's', file: join(dir, 's.yaml'), target: { namespace: 'ns', workload: { kind: 'Deployment', name: 'demo' } }, duration: 60_000, seed: 1, steps: [], gates: [] },
    journal,
    clock,
    signal: ctl.signal,
    deadline: 60_000,
    options: {} as never,
    changes,
    runDir: join(dir, 'run-1'),
    kube: async () => kube,
    progress: () => undefined,
  };
  let error: Error | undefined;
  try {
    await kind.run(ctx);
  } catch (e) {
    error = e as Error;
  } finally {
    clearInterval(load);
  }
  const marks = events.filter((e): e is MarkEvent => e.type === 'mark').map((e) => e.label);
  const figures = events.filter((e): e is FigureEvent => e.type === 'figure');
  return { error, marks, figures, events, store, calls, stableBefore, sec, changes, journal };
}

describe('canary step run loop (in-memory cluster)', () => {
  it('rolls a bad canary back through the ledger, leaves stable alone, journals the figures', async () => {
    const r = await runCanary(0.3, { env: { VERSION: 'v2' }, steps: [10, 50], noTraffic: '5s' });
    expect(r.error?.message).toMatch(/^canary rolled back at step 10 %: canary error rate 3\d(\.\d)? % vs stable 0 %/);
    expect(r.store.has('Deployment/ns/demo-canary')).toBe(false);
    expect(JSON.stringify(r.store.get('Deployment/ns/demo')!.spec)).toBe(r.stableBefore);
    expect(unrevertedChanges(r.events)).toEqual([]);
    // Out of rotation first (replicas 0), then the pods and the Deployment go.
    const i = r.calls.findIndex((c) => c === 'patch Deployment/demo-canary {"replicas":0}');
    expect(i).toBeGreaterThan(0);
    expect(r.calls.slice(i)).toContain('delete Deployment/demo-canary');
    const names = r.figures.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['detectionSeconds', 'rollbackSeconds', 'canaryGoneSeconds', 'errorsServed', 'errorsDuringRollback']));
    expect(r.figures.find((f) => f.name === 'errorsDuringRollback' && f.labels?.role === 'stable')!.value).toBe(0);
    expect(r.figures.find((f) => f.name === 'promoted')!.value).toBe(0);
    const det = r.figures.find((f) => f.name === 'detectionSeconds')!;
    const rb = r.figures.find((f) => f.name === 'rollbackSeconds')!;
    expect(rb.value).toBeGreaterThanOrEqual(det.value);
    expect(det.definition).toMatch(/td - t0/);
    expect(r.figures.find((f) => f.name === 'errorsServed' && f.labels?.role === 'canary')!.value).toBeGreaterThan(0);
    expect(r.figures.find((f) => f.name === 'errorsServed' && f.labels?.role === 'stable')!.value).toBe(0);
    expect(r.marks).toContain('canary weight 25 %');
    // The HTML report draws the weights per version over time, with the rollback decision marked.
    const weight = reportCharts(buildReport(r.events)).weight!;
    expect(weight).toMatch(/>stable<.*>canary</s);
    expect(weight).toMatch(/<title>[^<]*canary rollback decided at step 10 %/);
    r.journal.close();
  }, 30_000);

  it('afterPromotion revert: the end of the run puts stable back exactly as it was', async () => {
    const r = await runCanary(0, { env: { VERSION: 'v2' }, steps: [50], minStep: '1s', test: { minRequests: 20 }, afterPromotion: 'revert' });
    expect(r.error).toBeUndefined();
    expect(await r.changes.revertAll()).toEqual([]);
    const dep = r.store.get('Deployment/ns/demo')!;
    expect(JSON.stringify(dep.spec)).toBe(r.stableBefore);
    expect(dep.metadata.annotations?.['gauntlet.dev/promoted']).toBeUndefined();
    r.journal.close();
  }, 60_000);

  it('promotes a good canary: stable gets the new template, the canary is removed, the promotion is kept', async () => {
    const r = await runCanary(0, { env: { VERSION: 'v2' }, steps: [10, 50], minStep: '1s', test: { minRequests: 20 } });
    expect(r.error).toBeUndefined();
    expect(r.marks).toEqual(expect.arrayContaining(['canary weight 25 %', 'canary weight 50 %', 'canary promoting: stable rolls to the new version']));
    const dep = r.store.get('Deployment/ns/demo')!;
    expect(dep.spec.template.spec.containers[0].env).toEqual([{ name: 'VERSION', value: 'v2' }]);
    expect(dep.metadata.annotations?.['gauntlet.dev/promoted']).toBe('run-1');
    expect(r.store.has('Deployment/ns/demo-canary')).toBe(false);
    expect(r.figures.find((f) => f.name === 'promotionSeconds')!.value).toBeGreaterThan(0);
    expect(r.figures.find((f) => f.name === 'promoted')!.value).toBe(1);
    expect(await stepKind('canary')!.gates!({ id: 'canary', params: { expect: 'promote' } } as never, {} as never, {} as never)).toEqual([{ name: 'canary-promoted', metric: 'promoted', step: 'canary', min: 1 }]);
    expect(r.figures.find((f) => f.name === 'settled')!.value).toBe(1);
    // The promotion's revert (run at the end of every run) keeps a completed promotion.
    const left = unrevertedChanges(r.events);
    expect(left.map((c) => c.revert.kind)).toEqual(['canary-promotion']);
    expect(await r.changes.revertAll()).toEqual([]);
    expect(r.store.get('Deployment/ns/demo')!.spec.template.spec.containers[0].env).toEqual([{ name: 'VERSION', value: 'v2' }]);
    r.journal.close();
  }, 60_000);

  it('expect: rollback (a drill): the analysis rolling the bad version back is the step succeeding, judged by its gate', async () => {
    const r = await runCanary(0.3, { env: { VERSION: 'v2' }, steps: [10, 50], noTraffic: '5s', expect: 'rollback' });
    expect(r.error).toBeUndefined();
    expect(r.store.has('Deployment/ns/demo-canary')).toBe(false);
    expect(JSON.stringify(r.store.get('Deployment/ns/demo')!.spec)).toBe(r.stableBefore);
    expect(r.figures.find((f) => f.name === 'promoted')!.value).toBe(0);
    expect(r.marks.find((m) => m.startsWith('canary release settled'))).toMatch(/^canary release settled: rolled back in [\d.]+ s \(within rollbackWithin 30s\)$/);
    expect(await stepKind('canary')!.gates!({ id: 'c', params: { expect: 'rollback' } } as never, {} as never, {} as never)).toEqual([{ name: 'c-rolled-back', metric: 'promoted', step: 'c', max: 0 }]);
    r.journal.close();
  }, 30_000);

  it('expect: either: a rollback over rollbackWithin does not settle the release (settled 0)', async () => {
    const r = await runCanary(0.3, { env: { VERSION: 'v2' }, steps: [10, 50], noTraffic: '5s', expect: 'either', rollbackWithin: '1ms' });
    expect(r.error).toBeUndefined();
    expect(r.figures.find((f) => f.name === 'settled')!.value).toBe(0);
    expect(await stepKind('canary')!.gates!({ id: 'c', params: { expect: 'either' } } as never, {} as never, {} as never)).toEqual([{ name: 'c-settled', metric: 'settled', step: 'c', min: 1 }]);
    r.journal.close();
  }, 30_000);
});
