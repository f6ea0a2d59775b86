/**
 * What the canary e2e files share (canary.test.ts: promotion and rollbacks on errors, latency and
 * crashes; canary-failures.test.ts: readiness, no traffic, Ctrl-C, SIGKILL): the stable demo service
 * in a namespace of its own, the scenario writer, the report readers.
 */import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runGauntlet, type CliOptions } from '../support/cli.ts';
import { eventually, k, kjson, kk, labKubeconfig } from './lab-kube.ts';
import { demoService } from '../support/demo.ts';

export const gauntlet = (args: string[], opts: CliOptions = {}) => runGauntlet(args, { ...opts, env: { KUBECONFIG: labKubeconfig() } });
export const used: string[] = [];

export const stableManifest = (ns: string) => demoService(ns, 3);

/** Create the stable service in its own namespace; returns its URL. */
export async function stable(ns: string): Promise<string> {
  used.push(ns);
  await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  await kk(['apply', '-f', '-'], stableManifest(ns));
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=120s']);
  const svc = await kjson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', 'demo']);
  const url = `http://${svc.spec.clusterIP}/`;
  await eventually('service answers', async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok, 60_000);
  return url;
}

export function scenario(ns: string, url: string, canary: string, o: { duration?: number; rate?: number } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  const file = join(dir, 'scenario.yaml');
  const d = o.duration ?? 70;
  writeFileSync(
    file,
    `name: ${ns}
target: {context: gauntlet-lab, namespace: ${ns}, workload: deployment/demo, url: '${url}'}
duration: ${d}s
load:
  kind: k6
  name: load
  # k6's VU pool sized for a busy machine (VUs = rate x 2 x latency), as the shipped scenarios do:
  # with the default 50 ms, a p99 of 500 ms under three e2e files at once dropped 5.6 % of the
  # iterations, and a run whose load fell short is rightly inconclusive.
  expectedLatency: 200ms
  env: {K6_NO_CONNECTION_REUSE: 'true'}
  profile: {kind: constant, rate: ${o.rate ?? 150}, duration: ${d - 2}s}
release:
  kind: canary
  name: canary
  at: 4s
${canary
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`,
  );
  return file;
}

export async function report(stdout: string): Promise<{ runDir: string; verdict: string; reasons: string[]; figures: Array<{ name: string; value: number; labels?: Record<string, string> }>; marks: string[] }> {
  const out = JSON.parse(stdout);
  const r = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
  const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { runDir: out.runDir, verdict: r.verdict, reasons: r.reasons, figures: r.figures, marks: events.filter((e) => e.type === 'mark').map((e) => e.label as string) };
}

export const fig = (r: Awaited<ReturnType<typeof report>>, name: string, labels?: Record<string, string>) =>
  r.figures.find((f) => f.name === name && (!labels || Object.entries(labels).every(([k2, v]) => f.labels?.[k2] === v)))?.value;

export async function stableSpec(ns: string): Promise<string> {
  const d = await kjson<{ spec: { template: unknown; replicas: number } }>(['-n', ns, 'get', 'deployment', 'demo']);
  return JSON.stringify({ template: d.spec.template, replicas: d.spec.replicas });
}

export async function noCanaryLeft(ns: string): Promise<void> {
  expect((await k(['-n', ns, 'get', 'deployment', 'demo-canary'])).ok).toBe(false);
  await eventually('canary pods gone', async () => (await kk(['-n', ns, 'get', 'pods', '-l', 'gauntlet.dev/canary=demo', '-o', 'name'])).trim() === '', 30_000);
}

