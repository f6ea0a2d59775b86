/**
 * The -o json documents of `load surge`, `load capacity` and `policies probe` (with and without
 * --dry-run), shaped by the functions the commands call, against their schemas in cli/schema/.
 * These commands need k6 or a cluster, so the results are built here instead of run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../reports/schema/validate.ts';
import { capacityDoc, probeDoc, probePlanDoc, surgeDoc } from './documents.ts';
import type { CapacityResult, LoadRunResult, SurgeResult } from '../scenarios/load-runs.ts';
import type { ProbePlan, ProbeResult, ProbeRow } from '../policies/probe.ts';
import type { WindowEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import { profileSchema, stagesOf } from '../loadtest/profiles.ts';
import { capacityVerdict, surgeVerdict } from '../loadtest/verdict.ts';

const schema = (name: string) => JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown> & { required: string[] };
/** The document as a script reads it: through JSON, as the CLI prints it. */
const asPrinted = (doc: unknown) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
const run = { runDir: '/tmp/gauntlet-runs/20261201-surge-abc', exitCode: 0, status: 'completed' } as unknown as LoadRunResult;

/** One fake second of load: `n` requests at `ms` each, `fail` of them failed. */
function win(sec: number, stage: string, n: number, ms: number, fail = 0): WindowEvent {
  const h = new Histogram();
  h.record(ms, n);
  return { v: 1, seq: sec, t: sec * 1000 + 1500, wall: '', type: 'window', step: 'load', start: sec * 1000, end: sec * 1000 + 1000, labels: { stage }, requests: n, failures: fail, latency: h.toJSON(), targetRate: n };
}
// As the library builds them: the k6 step's analysis mark (`{ analysis, ...verdict }`) plus the run.
const surgeStages = stagesOf(profileSchema.parse({ kind: 'surge', baseline: 100, warmup: '2s', rampUp: '4s', hold: '4s', rampDown: '0s' }));
const surgeWins = [win(0, 'baseline', 100, 10), win(1, 'baseline', 100, 10), ...[150, 200, 250, 300].map((r, i) => win(2 + i, 'ramp-up', r, 12)), ...[6, 7, 8, 9].map((s) => win(s, 'hold', 300, 15))];
const brokeWins = [win(0, 'baseline', 100, 10), win(1, 'baseline', 100, 10), win(2, 'ramp-up', 150, 10), win(3, 'ramp-up', 200, 400), win(4, 'ramp-up', 250, 900), win(5, 'ramp-up', 300, 2000), win(6, 'hold', 300, 2000)];
const fromMark = <T>(analysis: string, v: T) => ({ analysis, ...v, run }) as T & { run: LoadRunResult };
const capSteps = stagesOf(profileSchema.parse({ kind: 'steps', from: 100, step: 100, steps: 4, stepDuration: '2s' }));
const capWins = [win(0, 'step-1', 100, 5), win(1, 'step-1', 100, 5), win(2, 'step-2', 200, 5), win(3, 'step-2', 200, 5), win(4, 'step-3', 300, 5, 30), win(5, 'step-3', 300, 5, 40), win(6, 'step-3', 300, 5, 40)];

const held: SurgeResult = {
  verdict: 'held', summary: 'held 3.0x for 5m: p99 12 ms, errors 0.1%', baseline: 200, multiple: 3, achievedMultiple: 2.99,
  hold: { rps: 598.4, requests: 179_520, p99: 12.3, errorRate: 0.001 }, reasons: [], run,
};
const broke: SurgeResult = {
  verdict: 'broke', summary: 'broke at 2.4x: first SLO breach at t=41s (p99 812 ms > 500 ms)', baseline: 200, multiple: 3,
  breach: { at: 53_000, what: 'p99 812 ms > 500 ms', targetRate: 480, multiple: 2.4, afterLoadStartMs: 41_000 }, reasons: ['p99 812 ms > 500 ms'], run,
};
const noVerdict: SurgeResult = { verdict: 'inconclusive', summary: 'inconclusive: run interrupted', baseline: 0, multiple: 0, reasons: ['run interrupted'], run };
const capacity: CapacityResult = {
  verdict: 'found', summary: 'highest sustained rate 300 req/s; broke at 400 req/s (p99 640 ms > 500 ms)', highestSustainedRps: 300,
  brokeAt: { rate: 400, what: 'p99 640 ms > 500 ms' },
  steps: [
    { stage: 'step-1', rate: 100, achievedRps: 99.8 }, { stage: 'step-2', rate: 200, achievedRps: 199.5 },
    { stage: 'step-3', rate: 300, achievedRps: 299.1 }, { stage: 'step-4', rate: 400, achievedRps: 371.2, breach: 'p99 640 ms > 500 ms' },
  ],
  run,
};
const row = (o: Partial<ProbeRow>): ProbeRow => ({
  workload: 'shop/checkout', target: '10.77.0.201:9000', destination: 'payments/api', kind: 'tcp', port: 9000,
  expected: 'allowed', approved: true, observed: 'reachable', detail: 'connected', mismatch: false, why: 'allowed by shop/allow-payments', ...o,
});
const rows = [row({}), row({ destination: 'internet 1.1.1.1', target: 'http://1.1.1.1:80/', kind: 'http', port: 80, expected: 'blocked', approved: false, observed: 'reachable', mismatch: true, why: 'no policy blocks it' })];
const plan: ProbePlan = {
  run: 'probe-x1y2', image: 'gauntlet.local/probe:v1', scope: ['shop'], lifetimeSeconds: 150,
  pods: [{ workload: 'shop/checkout', namespace: 'shop', name: 'gauntlet-probe-checkout-x1y2', labels: { app: 'checkout' }, checks: [{ id: 0, kind: 'tcp', target: '10.77.0.201:9000' }, { id: 1, kind: 'http', target: 'http://1.1.1.1:80/' }], disruptionBudgets: ['PodDisruptionBudget shop/checkout'], notReadyServices: [] }],
  rows, skipped: ['shop/node-agent: hostNetwork'], notes: [],
};
const probe: ProbeResult = {
  run: 'probe-x1y2', runDir: '/tmp/gauntlet-runs/probe-x1y2', plan, rows, mismatches: [{ row: rows[1]!, finding: 'shop/checkout reached internet 1.1.1.1:80, which the allowlist does not approve' }],
  skipped: plan.skipped, unapprovedReachable: 1, inconclusive: 0, verdictExitCode: 1, cleanedUp: 1,
  unreverted: [{ id: 'c1', description: 'Pod shop/gauntlet-probe-checkout-x1y2', error: 'timeout' }], seconds: 14.2,
};

const cases: Array<[string, string, Record<string, unknown>]> = [
  ['load surge (held, from the analysis)', 'load-surge', asPrinted(surgeDoc(fromMark('surge', surgeVerdict(surgeWins, surgeStages, 100, { p99Ms: 100, maxErrorRate: 0.01 }))))],
  ['load surge (broke, from the analysis)', 'load-surge', asPrinted(surgeDoc(fromMark('surge', surgeVerdict(brokeWins, surgeStages, 100, { p99Ms: 250, maxErrorRate: 0.01 }))))],
  ['load capacity (found, from the analysis)', 'load-capacity', asPrinted(capacityDoc(fromMark('capacity', capacityVerdict(capWins, capSteps, { p99Ms: 100, maxErrorRate: 0.05 }))))],
  ['load capacity (not reached, from the analysis)', 'load-capacity', asPrinted(capacityDoc(fromMark('capacity', capacityVerdict(capWins.slice(0, 4), capSteps.slice(0, 2), { p99Ms: 100, maxErrorRate: 0.05 }))))],
  ['load surge (held)', 'load-surge', asPrinted(surgeDoc(held))],
  ['load surge (broke)', 'load-surge', asPrinted(surgeDoc(broke))],
  ['load surge (no verdict from the run)', 'load-surge', asPrinted(surgeDoc(noVerdict))],
  ['load capacity', 'load-capacity', asPrinted(capacityDoc(capacity))],
  ['load capacity (inconclusive, no steps)', 'load-capacity', asPrinted(capacityDoc({ verdict: 'inconclusive', summary: 'inconclusive: k6 failed', steps: [], run }))],
  ['policies probe', 'policies-probe', asPrinted(probeDoc(probe))],
  ['policies probe (all namespaces, nothing left behind)', 'policies-probe', asPrinted(probeDoc({ ...probe, runDir: undefined, plan: { ...plan, scope: 'all' }, unreverted: [], verdictExitCode: 0 }))],
  ['policies probe --dry-run', 'policies-probe-plan', asPrinted(probePlanDoc(plan))],
];

describe('-o json documents of commands that need k6 or a cluster', () => {
  it.each(cases)('%s is valid against cli/schema/%s', (_what, name, doc) => {
    expect(doc.schema).toBe(`gauntlet/${name}/v1`);
    expect(validateSchema(doc, schema(name))).toEqual([]);
  });

  it.each(cases)('%s: dropping any required field fails validation', (_what, name, doc) => {
    const s = schema(name);
    expect(s.required.length).toBeGreaterThan(1);
    for (const k of s.required) {
      const { [k]: _dropped, ...rest } = doc;
      expect(validateSchema(rest, s), k).not.toEqual([]);
    }
  });

  it('the analysis-built cases cover each verdict the analyses give', () => {
    expect(cases.slice(0, 4).map(([, , d]) => d.verdict)).toEqual(['held', 'broke', 'found', 'not-reached']);
  });

  it('the load documents keep the verdict fields and the run directory, not the whole run', () => {
    const doc = asPrinted(surgeDoc(held));
    expect(doc).toMatchObject({ verdict: 'held', baseline: 200, multiple: 3, hold: { rps: 598.4, p99: 12.3 }, runDir: run.runDir });
    expect(doc).not.toHaveProperty('run');
    expect(asPrinted(capacityDoc(capacity))).toMatchObject({ highestSustainedRps: 300, runDir: run.runDir });
  });

  it('a field the schema does not describe, or a wrong type, fails validation', () => {
    expect(validateSchema({ ...asPrinted(surgeDoc(held)), extra: 1 }, schema('load-surge'))).not.toEqual([]);
    expect(validateSchema({ ...asPrinted(capacityDoc(capacity)), highestSustainedRps: '300 req/s' }, schema('load-capacity'))).not.toEqual([]);
    const bad = asPrinted(probeDoc(probe));
    (bad.rows as Array<Record<string, unknown>>)[0]!.observed = 'maybe';
    expect(validateSchema(bad, schema('policies-probe'))).not.toEqual([]);
  });
});
