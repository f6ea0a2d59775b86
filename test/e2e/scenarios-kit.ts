/**
 * What the scenario-library e2e files share (scenarios.test.ts: the node and rate cases, run alone;
 * scenarios-shared.test.ts: the cases that touch no node, in the e2e-shared pass): running a shipped
 * scenario as a user does, moved to the file's namespace and Service address with --set, and
 * reading its verdict, gates, figures and marks back from the run directory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runGauntlet } from '../support/cli.ts';
import { kk, labKubeconfig, labWorldHosts } from './lab-kube.ts';

export interface Outcome { code: number | null; stderr: string; verdict: string; gates: Array<{ name: string; verdict: string; samples: number; observed?: number }>; figures: Array<{ name: string; value: number; labels?: Record<string, string> }>; marks: string[]; markTimes: Array<{ label: string; t: number }>; seconds: number }

const gauntlet = (args: string[]) => runGauntlet(args, { env: { KUBECONFIG: labKubeconfig() } });

/** The demo service of scenarios/lab-demo, deployed once into `ns` behind the ClusterIP `ip`. */
export async function deployDemo(ns: string, ip: string): Promise<void> {
  const demo = readFileSync('scenarios/lab-demo/demo.yaml', 'utf8').replaceAll('${namespace}', ns).replaceAll('${ip}', ip);
  await kk(['apply', '-f', '-'], demo);
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=120s']);
}

/** The lab's outside hosts as the egress scenarios' variables (`allowed`, `denied`): the lab under test's addresses. */
export const worldVars = (): string[] => labWorldHosts().map((h) => `${h.name}=${h.ip}`);

/** `gauntlet run scenarios/<scenario>.yaml` in `ns` at `ip`, with more --set values. */
export async function runScenario(ns: string, ip: string, scenario: string, ...set: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), `gameday-${scenario}-`));
  const t0 = Date.now();
  const where = ['--set', `namespace=${ns}`, '--set', `ip=${ip}`];
  const r = await gauntlet(['run', `scenarios/${scenario}.yaml`, ...where, ...set.flatMap((s) => ['--set', s]), '--report-dir', dir, '-o', 'json']);
  const seconds = (Date.now() - t0) / 1000;
  const out = JSON.parse(r.stdout);
  const report = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
  const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const o: Outcome = { code: r.code, stderr: r.stderr, verdict: out.verdict, gates: out.gates, figures: report.figures, marks: events.filter((e) => e.type === 'mark').map((e) => e.label as string), markTimes: events.filter((e) => e.type === 'mark').map((e) => ({ label: e.label as string, t: e.t as number })), seconds };
  console.log(`${scenario}: exit ${o.code} in ${seconds.toFixed(1)} s; ${o.gates.map((g) => `${g.name}=${g.observed ?? '-'}(${g.verdict})`).join(' ')}`);
  return o;
}

export const fig = (o: Outcome, name: string, labels?: Record<string, string>) => o.figures.filter((f) => f.name === name && (!labels || Object.entries(labels).every(([a, b]) => f.labels?.[a] === b)));

/** Passed, and every gate judged real samples. */
export function passedOnData(o: Outcome): void {
  expect(o.code, o.stderr.slice(-3000)).toBe(0);
  expect(o.verdict).toBe('pass');
  for (const g of o.gates) expect(g.samples, g.name).toBeGreaterThan(0);
}
