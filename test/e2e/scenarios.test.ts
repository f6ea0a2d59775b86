/**
 * The shipped scenario library in the lab, each with its own gates, as a user runs it
 * (`gauntlet run scenarios/<name>.yaml`), moved to one namespace of this suite with --set and
 * shortened where the scenario offers it. The demo service is deployed once: each scenario's own
 * deploy step then updates it in place and puts it back, so no run waits for a namespace to come
 * and go. game-day runs in the main-job e2e (it is `npm start`). Spot interruptions here stop lab
 * nodes for seconds; every node is Ready again after each case. (The spot storm over both spot
 * nodes is this file's spot-storm case; chaos.test.ts keeps the single-node interruption.)
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labNodeStart, labPaths } from '../../lab/index.ts';
import { runGauntlet } from '../support/cli.ts';
import { eventually, k, kjson, kk, requireLab } from './lab-kube.ts';

const NS = 'gameday-scenarios';
const IP = '10.79.0.192';
const NODES = ['lab-node-1', 'lab-node-2', 'lab-node-3'];
const gauntlet = (args: string[]) => runGauntlet(args, { env: { KUBECONFIG: labPaths().kubeconfig } });
const where = ['--set', `namespace=${NS}`, '--set', `ip=${IP}`];

interface Outcome { code: number | null; stderr: string; verdict: string; gates: Array<{ name: string; verdict: string; samples: number; observed?: number }>; figures: Array<{ name: string; value: number; labels?: Record<string, string> }>; marks: string[]; markTimes: Array<{ label: string; t: number }>; seconds: number }

async function run(scenario: string, ...set: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), `gameday-${scenario}-`));
  const t0 = Date.now();
  const r = await gauntlet(['run', `scenarios/${scenario}.yaml`, ...where, ...set.flatMap((s) => ['--set', s]), '--report-dir', dir, '-o', 'json']);
  const seconds = (Date.now() - t0) / 1000;
  const out = JSON.parse(r.stdout);
  const report = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
  const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const o: Outcome = { code: r.code, stderr: r.stderr, verdict: out.verdict, gates: out.gates, figures: report.figures, marks: events.filter((e) => e.type === 'mark').map((e) => e.label as string), markTimes: events.filter((e) => e.type === 'mark').map((e) => ({ label: e.label as string, t: e.t as number })), seconds };
  console.log(`${scenario}: exit ${o.code} in ${seconds.toFixed(1)} s; ${o.gates.map((g) => `${g.name}=${g.observed ?? '-'}(${g.verdict})`).join(' ')}`);
  return o;
}

const fig = (o: Outcome, name: string, labels?: Record<string, string>) => o.figures.filter((f) => f.name === name && (!labels || Object.entries(labels).every(([a, b]) => f.labels?.[a] === b)));

function passedOnData(o: Outcome): void {
  expect(o.code, o.stderr.slice(-3000)).toBe(0);
  expect(o.verdict).toBe('pass');
  for (const g of o.gates) expect(g.samples, g.name).toBeGreaterThan(0);
}

async function nodesReady(): Promise<boolean> {
  const l = await kjson(['get', 'nodes']);
  return NODES.every((n) => l.items.find((x: any) => x.metadata.name === n)?.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True') && !l.items.find((x: any) => x.metadata.name === n)?.spec.unschedulable);
}

describe('the shipped scenarios in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    const demo = readFileSync('scenarios/lab-demo/demo.yaml', 'utf8').replaceAll('${namespace}', NS).replaceAll('${ip}', IP);
    await kk(['apply', '-f', '-'], demo);
    await kk(['-n', NS, 'rollout', 'status', 'deployment/demo', '--timeout=120s']);
  });
  afterEach(async () => {
    // Whatever a failed spot case left: nodes started again, our cordons gone.
    for (const n of NODES) {
      const st = (await kjson(['get', 'node', n]).catch(() => undefined)) as any;
      if (!st?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) await labNodeStart({ node: n, waitMs: 120_000 }).catch(() => {});
      if (st?.metadata?.annotations && Object.keys(st.metadata.annotations).some((a) => a.startsWith('gauntlet.dev/undo-'))) await k(['uncordon', n]);
    }
  });
  afterAll(async () => {
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
  });

  it('pod-kill-under-load (lab-demo): a pod evicted under load, errors, latency and recovery gated', async () => {
    const o = await run('pod-kill-under-load', 'rate=50');
    passedOnData(o);
    expect(fig(o, 'recoverySeconds')[0]?.value).toBeGreaterThan(0);
  }, 240_000);

  it('canary-rollback: the bad release is caught and rolled back within its gates, stable untouched', async () => {
    const before = JSON.stringify((await kjson(['-n', NS, 'get', 'deployment', 'demo'])).spec.template);
    const o = await run('canary-rollback', 'rate=60');
    passedOnData(o);
    expect(o.gates.find((g) => g.name === 'bad-release-rolled-back')?.verdict).toBe('pass');
    expect(o.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/canary error rate/);
    expect(fig(o, 'rollbackSeconds')[0]!.value).toBeLessThanOrEqual(20);
    expect(JSON.stringify((await kjson(['-n', NS, 'get', 'deployment', 'demo'])).spec.template)).toBe(before);
    expect((await k(['-n', NS, 'get', 'deployment', 'demo-canary'])).ok).toBe(false);
  }, 240_000);

  it('surge-200: 3x the baseline held within the SLO, headroom reported', async () => {
    const o = await run('surge-200', 'baseline=30', 'hold=10s', 'duration=60s');
    passedOnData(o);
    expect(fig(o, 'surgeMultipleHeld')[0]!.value).toBe(3);
    expect(fig(o, 'p99Headroom')[0]!.value).toBeGreaterThan(0);
    expect(o.marks.some((m) => /^surge: held 3\.0x for 10s/.test(m))).toBe(true);
  }, 240_000);

  it('egress-audit: the static check and the live probes agree with the allowlist', async () => {
    const o = await run('egress-audit');
    passedOnData(o);
    expect(o.gates.find((g) => g.name === 'egress-as-approved')!.samples).toBeGreaterThanOrEqual(4);
    expect((await k(['-n', NS, 'get', 'networkpolicy', 'demo-egress'])).ok).toBe(false); // the run's own policy is removed again
    expect(await kk(['-n', NS, 'get', 'pods', '-l', 'gauntlet.dev/probe-run', '-o', 'name'])).toBe('');
  }, 240_000);

  it('spot-storm: both spot nodes interrupted in turn under load; nothing lost at T, errors and recovery gated', async () => {
    const o = await run('spot-storm', 'rate=30');
    passedOnData(o);
    expect(fig(o, 'replacementReadySeconds').map((f) => f.labels?.node).sort()).toEqual(['lab-node-1', 'lab-node-2']);
    expect(fig(o, 'podsKilledAtT').every((f) => f.value === 0)).toBe(true);
    // Staggered: the second node went 20 s after the first, so they were never down together.
    const gone = o.markTimes.filter((m) => /is gone \(T\)/.test(m.label)).map((m) => m.t);
    expect(gone).toHaveLength(2);
    expect(gone[1]! - gone[0]!).toBeGreaterThan(15_000);
    await eventually('every node Ready and schedulable again', nodesReady, 120_000);
  }, 300_000);
});
