/**
 * The runner end to end on loopback servers (no cluster): one verdict from the journal that
 * report.json, JUnit and the exit code all follow; late probes counted; nothing started and no
 * run directory left when the cluster cannot be reached or the input is wrong.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '../core/analysis.ts';
import { InfraError, UsageError } from '../core/errors.ts';
import type { GateSpec } from '../core/gates.ts';
import { readJournal } from '../core/journal.ts';
import { defaultOptions } from '../core/options.ts';
import type { Scenario, Step } from '../core/scenario.ts';
import { registerStep, stepKind, type StepContext } from '../core/steps.ts';
import { runScenario } from './runner.ts';

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}
let hits = 0;
let failing: string;
let hanging: string;
let healthy: string;
beforeAll(async () => {
  failing = await serve((_q, r) => (hits++, r.writeHead(500).end('no')));
  hanging = await serve(() => {}); // accepts, never answers
  healthy = await serve((_q, r) => r.writeHead(200).end('ok'));
});
afterAll(() => {
  for (const s of servers) s.closeAllConnections(), s.close();
});

// A step kind that brings its own gate (as k6 does with a script's thresholds) and records a figure.
registerStep({
  kind: 'test-own-gates',
  sections: ['checks'],
  summary: 'test',
  params: { parse: (x: unknown) => x } as never,
  async gates(step: Step) {
    return [{ name: 'own: value at most 5', metric: 'value', step: step.id, max: 5 }];
  },
  plan: () => [],
  async run(ctx: StepContext) {
    ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'value', value: (ctx.step.params as { value: number }).value, unit: '' });
  },
} as never);

const probe = (url: string, params: Record<string, unknown> = {}, duration = 1500): Step => ({
  id: 'probe',
  kind: 'http-probe',
  section: 'checks',
  at: 0,
  duration,
  params: stepKind('http-probe')!.params.parse({ url, interval: '100ms', ...params }),
  source: { file: 'test.yaml' },
}) as Step;

function scenario(steps: Step[], gates: GateSpec[] = [], extra: Partial<Scenario> = {}): Scenario {
  return { name: 'unit', file: 'test.yaml', target: {}, duration: 2500, seed: 1, steps, gates, ...extra };
}

const reportDir = () => mkdtempSync(join(tmpdir(), 'gauntlet-runner-'));
const opts = (dir: string, more = {}) => defaultOptions({ HOME: '/nonexistent' }, { reportDir: dir, ...more });
const reportJson = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as { verdict: string; reasons: string[]; gates: Array<{ name: string; verdict: string }> };

describe('the run verdict', () => {
  it('a scenario with no gates is inconclusive (exit 1) even when every request failed, and the report says why', async () => {
    const r = await runScenario({ scenario: scenario([probe(failing)]), options: opts(reportDir()) });
    expect(hits).toBeGreaterThan(5);
    expect(r.verdict.verdict).toBe('inconclusive');
    expect(r.exitCode).toBe(1);
    const report = reportJson(r.runDir);
    expect(report.verdict).toBe('inconclusive');
    expect(report.reasons.join('\n')).toMatch(/no gates were defined/);
    expect(readFileSync(join(r.runDir, 'junit.xml'), 'utf8')).not.toMatch(/<testsuites[^>]*failures="0"[^>]*errors="0"/);
  });

  it('gates a step brings are journaled in run.start, and report.json, JUnit and the exit code agree', async () => {
    for (const [value, verdict, exit] of [[9, 'fail', 1], [3, 'pass', 0]] as const) {
      const own: Step = { id: 'own', kind: 'test-own-gates', section: 'checks', at: 0, duration: 100, params: { value }, source: { file: 'test.yaml' } } as unknown as Step;
      const r = await runScenario({ scenario: scenario([own]), options: opts(reportDir()) });
      const start = readJournal(join(r.runDir, 'journal.ndjson')).find((e) => e.type === 'run.start')!;
      expect((start as { scenario: { gates: GateSpec[] } }).scenario.gates.map((g) => g.name)).toEqual(['own: value at most 5']);
      expect(r.verdict.verdict).toBe(verdict);
      expect(r.exitCode).toBe(exit);
      const report = reportJson(r.runDir);
      expect(report.verdict).toBe(verdict);
      expect(report.gates).toEqual([expect.objectContaining({ name: 'own: value at most 5', verdict })]);
      const junit = readFileSync(join(r.runDir, 'junit.xml'), 'utf8');
      expect(junit.includes('<failure')).toBe(verdict === 'fail');
    }
  });
});

describe('http-probe', () => {
  it('counts probes it could not send on time (coordinated omission) as failed samples with cause late', async () => {
    const r = await runScenario({
      scenario: scenario([probe(hanging, { concurrency: 1, timeout: '5s' }, 1000)], [{ name: 'errors', metric: 'error_rate', max: 0.5 }]),
      options: opts(reportDir()),
    });
    const samples = r.events.filter((e) => e.type === 'sample');
    const late = samples.filter((e) => e.type === 'sample' && e.cause === 'late');
    // 10 slots in 1 s at 100 ms: one was sent (and hangs), the rest could not be.
    expect(samples.length).toBeGreaterThanOrEqual(9);
    expect(late.length).toBeGreaterThanOrEqual(8);
    expect(aggregate(r.events, { step: 'probe' }).errorRate).toBeGreaterThan(0.8);
    expect(r.verdict.verdict).toBe('fail');
    expect(reportJson(r.runDir).verdict).toBe('fail');
  });

  it('classifies every failed probe with a cause', async () => {
    const r = await runScenario({ scenario: scenario([probe(failing, {}, 500)], [{ name: 'errors', metric: 'error_rate', max: 0 }]), options: opts(reportDir()) });
    const failed = r.events.filter((e) => e.type === 'sample' && !e.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.type === 'sample' && e.cause === 'http-5xx')).toBe(true);
  });
});

describe('before anything starts', () => {
  const podKill: Step = {
    id: 'kill',
    kind: 'pod-kill',
    section: 'faults',
    at: 0,
    duration: 500,
    params: stepKind('pod-kill')!.params.parse({ selector: 'app=x', namespace: 'trust-none' }),
    source: { file: 'test.yaml' },
  } as Step;
  const kubeconfig = (server: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'gauntlet-kc-')), 'config');
    writeFileSync(f, `apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters: [{name: c, cluster: {server: "${server}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: dead, context: {cluster: c, user: u}}]\n`);
    return f;
  };

  it('an unreachable cluster is an infrastructure error (exit 3) naming the address, before any step or run directory', async () => {
    const dir = reportDir();
    const before = hits;
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const e = await runScenario({ scenario: scenario([probe(failing), podKill]), options: opts(dir, { kubeconfig: kubeconfig(`https://127.0.0.1:${port}`) }) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InfraError);
    expect((e as InfraError).exitCode).toBe(3);
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
    expect(hits).toBe(before); // no probe ran
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a missing context or kubeconfig leaves no run directory, so the next run has nothing to warn about', async () => {
    const dir = reportDir();
    const e1 = await runScenario({ scenario: scenario([podKill], [], { target: { context: 'nope' } }), options: opts(dir, { kubeconfig: kubeconfig('https://127.0.0.1:1') }) }).catch((x: unknown) => x);
    expect(e1).toBeInstanceOf(UsageError);
    const e2 = await runScenario({ scenario: scenario([podKill]), options: opts(dir, { kubeconfig: join(dir, 'missing') }) }).catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(UsageError);
    expect(readdirSync(dir)).toEqual([]);
    const warnings: string[] = [];
    await runScenario({ scenario: scenario([probe(healthy, {}, 200)]), options: opts(dir, { progress: (l: string) => warnings.push(l) }) });
    expect(warnings.join('\n')).not.toMatch(/may have left changes/);
    expect(existsSync(join(dir, readdirSync(dir)[0]!, 'run.lock'))).toBe(false);
  });
});
