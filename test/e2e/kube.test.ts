/**
 * The Kubernetes adapter against a real API server: watches resume from their resourceVersion
 * when the server closes them (no event lost, none repeated), and an RBAC denial names the verb
 * and resource, and makes a run exit 3 before it changes anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type WatchEvent } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import { k, kk, requireLab, labKubeconfig } from './lab-kube.ts';

const ns = `e2e-kube-${Date.now().toString(36)}`;

describe('kube adapter in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    await kk(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('a watch closed by the server every second resumes without losing or repeating events', async () => {
    const kube = connect({ kubeconfig: labKubeconfig(), env: {} });
    const seen: string[] = [];
    const stop = new AbortController();
    const q = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'e2e=watch' };
    const watching = kube.watch<{ metadata?: { name?: string } }>(q, (e: WatchEvent<{ metadata?: { name?: string } }>) => {
      if (e.type === 'ADDED') seen.push(e.object.metadata!.name!);
    }, stop.signal, { timeoutSeconds: 1 });
    await sleep(500);
    const names = Array.from({ length: 6 }, (_, i) => `cm-${i}`);
    for (const name of names) {
      await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { e2e: 'watch' } }, data: { i: name } } as never);
      await sleep(700); // spans several server-side closes
    }
    await sleep(1500);
    stop.abort();
    await watching;
    expect(seen).toEqual(names);
  }, 60_000);

  it('an RBAC denial names the verb and resource, and a run exits 3 having changed nothing', async () => {
    await kk(['-n', ns, 'create', 'serviceaccount', 'nobody']);
    const token = (await kk(['-n', ns, 'create', 'token', 'nobody', '--duration=10m'])).trim();
    const lab = readFileSync(labKubeconfig(), 'utf8');
    const server = lab.match(/server:\s*(\S+)/)![1]!;
    const ca = lab.match(/certificate-authority-data:\s*(\S+)/)?.[1];
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-rbac-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "${server}", ${ca ? `certificate-authority-data: ${ca}` : 'insecure-skip-tls-verify: true'}}}]
users: [{name: nobody, user: {token: "${token}"}}]
contexts: [{name: nobody, context: {cluster: lab, user: nobody, namespace: ${ns}}}]
current-context: nobody
`,
    );
    const scenario = join(dir, 'kill.yaml');
    writeFileSync(scenario, `name: rbac\ntarget: {namespace: ${ns}}\nduration: 10s\nfaults:\n  - {kind: pod-kill, at: 0s, duration: 2s, selector: app=x}\n`);
    const r = spawnSync(process.execPath, ['cli/main.ts', 'run', scenario, '--kubeconfig', kubeconfig, '--report-dir', join(dir, 'runs')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toMatch(new RegExp(`RBAC denies list on pods in namespace ${ns}: pods is forbidden: User "system:serviceaccount:${ns}:nobody" cannot list resource "pods"`));
    expect(r.status).toBe(3);
  }, 60_000);
});
