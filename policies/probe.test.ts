/**
 * The probe flow against an in-memory cluster: what the probe pods look like (restricted, same
 * labels, owned, marked, never Ready), that each is journaled before it is made and recoverable
 * after a crash, the expected-vs-observed table with its reasons, and fast failure on a bad image.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revertChange, unrevertedChanges } from '../core/changes.ts';
import { InfraError, UsageError } from '../core/errors.ts';
import { Journal, readJournal } from '../core/journal.ts';
import type { Kube } from '../core/kube.ts';
import { defaultOptions } from '../core/options.ts';
import { parseAllowlist } from './allowlist.ts';
import { observe, probePolicies, renderPlan } from './probe.ts';
import { probeDoc, probePlanDoc } from '../cli/documents.ts';
import { validateSchema } from '../reports/schema/validate.ts';
import { PROBE_RUN_LABEL, probeLifetimeSeconds, probeScript, RUN_ID_ANNOTATION } from './probe-pods.ts';

type Obj = { apiVersion: string; kind: string; metadata: Record<string, any>; spec?: any; status?: any };

interface FakeOptions {
  /** What one check prints: true = OK, false = a dial timeout, a string = that output. */
  observe?: (podLabels: Record<string, string>, target: string) => boolean | string;
  /** Status a created pod gets (default: Succeeded). */
  podStatus?: () => Obj['status'];
  /** Never answer a GET of a probe pod: the probing process hangs, as if it had died. */
  hang?: boolean;
  reportDir?: string;
}

function fakeCluster(objects: Obj[], f: FakeOptions = {}) {
  const store = [...objects];
  let uid = 0;
  const created: Obj[] = [];
  const events: string[] = [];
  /** For each probe object, whether the journal on disk named it before it was created. */
  const journaledFirst: boolean[] = [];
  const selects = (o: Obj, sel?: string) => {
    if (!sel) return true;
    const [k, v] = sel.split('=');
    return k! in (o.metadata.labels ?? {}) && (v === undefined || o.metadata.labels[k!] === v);
  };
  const kube = {
    context: 'fake', server: 'https://fake:6443', namespace: 'default',
    async list(q: { kind: string; namespace?: string; labelSelector?: string }) {
      if (q.kind.endsWith('NetworkPolicy') && q.kind !== 'NetworkPolicy') throw new Error('404');
      return { items: store.filter((o) => o.kind === q.kind && (!q.namespace || o.metadata.namespace === q.namespace) && selects(o, q.labelSelector)), resourceVersion: '1' };
    },
    async create(o: Obj) {
      if (f.reportDir) {
        const journals = readdirSync(f.reportDir).map((d) => readFileSync(join(f.reportDir!, d, 'journal.ndjson'), 'utf8')).join('');
        journaledFirst.push(journals.split('\n').some((l) => l.includes('"change.intent"') && l.includes(o.metadata.name)));
      }
      const c = { ...o, metadata: { ...o.metadata, uid: `u${++uid}` }, spec: o.kind === 'Pod' ? { ...o.spec, nodeName: 'node-1' } : o.spec, status: o.kind === 'Pod' ? (f.podStatus?.() ?? { phase: 'Succeeded' }) : undefined };
      store.push(c);
      created.push(c);
      events.push(`create ${o.kind} ${o.metadata.name}`);
      return c;
    },
    async get(ref: { kind: string; name: string; namespace?: string }) {
      if (f.hang && ref.kind === 'Pod') return new Promise(() => {});
      return store.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace);
    },
    async delete(ref: { kind: string; name: string; namespace?: string }) {
      const i = store.findIndex((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace);
      if (i < 0) return 'absent';
      store.splice(i, 1);
      events.push(`delete ${ref.kind} ${ref.name}`);
      return 'deleted';
    },
    async logs({ name, namespace }: { name: string; namespace: string }) {
      events.push(`logs ${name}`);
      const pod = created.find((o) => o.kind === 'Pod' && o.metadata.name === name && o.metadata.namespace === namespace) as Obj;
      const script: string = pod.spec.containers[0].command[2];
      return [...script.matchAll(/^p (\d+) (\w+) '([^']+)' &$/gm)]
        .map(([, id, kind, target]) => {
          const r = (f.observe ?? (() => true))(pod.metadata.labels, target as string);
          return `RESULT ${id} ${r === true ? `OK ${kind} ${target} "pong"` : `FAIL ${kind} ${target}: ${r === false ? `dial tcp ${target}: i/o timeout` : r}`}`;
        })
        .join('\n');
    },
  };
  const probeObjects = () => store.filter((o) => o.metadata.labels?.[PROBE_RUN_LABEL]);
  return { kube: kube as unknown as Kube, store, created, events, journaledFirst, probeObjects };
}

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const deploy = (name: string, namespace: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
  spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
});
const allowlist = parseAllowlist(`apiVersion: gauntlet.dev/v1alpha1
kind: EgressAllowlist
metadata: {name: lab}
spec:
  rules: [{name: allowed-world, to: [{ipBlock: {cidr: 10.77.0.201/32}}], ports: [{port: 9000}]}]
  probeTargets:
    - {name: allowed, address: 10.77.0.201, protocol: TCP, port: 9000}
    - {name: denied, address: 10.77.0.202, protocol: TCP, port: 9000}
`, 'allow.yaml');
const objects: Obj[] = [
  ns('strict'), ns('open'), ns('kube-system'), deploy('app', 'strict'), deploy('app', 'open'), deploy('dns', 'kube-system'),
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'only-allowed', namespace: 'strict' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.77.0.201/32' } }], ports: [{ port: 9000 }] }] } },
];
const tmp = () => mkdtempSync(join(tmpdir(), 'probe-runs-'));
/** `policies probe -o json` as printed, against its schema in cli/schema/. */
const schemaErrors = (name: string, doc: unknown) =>
  validateSchema(JSON.parse(JSON.stringify(doc)), JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown>);

describe('policies probe', () => {
  it('builds a table of expected vs observed, journaling every probe pod before making it and removing it once it reported', async () => {
    const reportDir = tmp();
    // A CNI that enforces nothing: every check connects.
    const { kube, created, events, journaledFirst, probeObjects } = fakeCluster(objects, { reportDir });
    const r = await probePolicies({ allowlist, kube, namespaces: ['strict', 'open'], options: { reportDir }, ipBlockMode: 'cilium', retries: 1, timeoutSeconds: 10 });
    expect(r.rows.map((x) => `${x.workload} ${x.destination} ${x.expected} ${x.observed}`)).toEqual([
      'strict/Deployment/app allowed allowed reachable',
      'strict/Deployment/app denied blocked reachable',
      'open/Deployment/app allowed allowed reachable',
      'open/Deployment/app denied allowed reachable',
    ]);
    // The fake passes everything: the strict namespace's policy is not enforced -> a finding.
    expect(r.mismatches.map((m) => m.finding)).toEqual([expect.stringContaining('analysis says blocked, traffic passed: strict/Deployment/app -> denied')]);
    expect(r.rows[0]!.why).toBe('reachable as the analysis expects');
    expect(r.unapprovedReachable).toBe(2);
    expect(schemaErrors('policies-probe', probeDoc(r))).toEqual([]);

    const pod = created.find((o) => o.kind === 'Pod') as Obj;
    expect(pod.metadata.labels).toMatchObject({ app: 'app', [PROBE_RUN_LABEL]: r.run });
    expect(pod.metadata.annotations).toEqual({ [RUN_ID_ANNOTATION]: expect.stringMatching(/-policies-probe-/) });
    expect(created.find((o) => o.kind === 'ConfigMap')!.metadata.annotations).toEqual(pod.metadata.annotations);
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ConfigMap', controller: true });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.containers[0].readinessProbe).toBeDefined();
    expect(pod.spec.activeDeadlineSeconds).toBeLessThanOrEqual(probeLifetimeSeconds(1, 2, 3));

    // Journaled before made; each pod removed as soon as its log was read, not at the very end.
    expect(journaledFirst).toEqual([true, true, true, true]);
    const [a, b] = created.filter((o) => o.kind === 'Pod').map((o) => o.metadata.name as string);
    expect(events.indexOf(`delete Pod ${a}`)).toBeLessThan(events.indexOf(`logs ${b}`));
    expect(probeObjects()).toEqual([]);
    expect(r.cleanedUp).toBe(2);

    // The run directory's journal says everything was undone: nothing for `recover`.
    const journal = readJournal(join(r.runDir!, 'journal.ndjson'));
    expect(unrevertedChanges(journal)).toEqual([]);
    expect(journal.filter((e) => e.type === 'change.intent').map((e) => (e as { description: string }).description)).toEqual([
      expect.stringMatching(/^create probe pod strict\/gauntlet-probe-.* for strict\/Deployment\/app$/),
      expect.stringMatching(/^create probe pod open\/gauntlet-probe-.* for open\/Deployment\/app$/),
    ]);
    expect(journal.at(-1)).toMatchObject({ type: 'run.end', status: 'completed' });
  });

  it('leaves a journal after a crash from which recover removes the probe pods (and only marked objects)', async () => {
    const reportDir = tmp();
    const c = fakeCluster(objects, { reportDir, hang: true });
    // The probing process "dies" while waiting for its pods: never awaited, never cleaned up.
    void probePolicies({ allowlist, kube: c.kube, namespaces: ['strict', 'open'], options: { reportDir }, retries: 0, timeoutSeconds: 10 });
    await new Promise((res) => setTimeout(res, 200));
    expect(c.probeObjects()).toHaveLength(4);
    // Someone else's ConfigMap with a probe-run label but without our mark must survive.
    c.store.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-ours', namespace: 'open', labels: { [PROBE_RUN_LABEL]: 'x' } } });
    const recovering = fakeCluster([]); // a fresh process: a new connection to the same objects
    recovering.store.splice(0, 0, ...c.store.splice(0));

    // What `gauntlet recover <run-dir>` does: every unreverted change, through its registered reverter.
    const [runDir] = readdirSync(reportDir);
    const path = join(reportDir, runDir!, 'journal.ndjson');
    const todo = unrevertedChanges(readJournal(path));
    expect(todo.map((t) => t.revert.kind)).toEqual(['probe-pod', 'probe-pod']);
    const j = Journal.reopen(path);
    for (const t of todo) expect(await revertChange(j, t.id, t.description, t.revert, { kube: async () => recovering.kube })).toBeUndefined();
    j.close();
    expect(recovering.probeObjects().map((o) => o.metadata.name)).toEqual(['not-ours']);
    expect(unrevertedChanges(readJournal(path))).toEqual([]);
  });

  it('fails fast, naming image and node, when the probe image cannot be pulled, and removes its pods', async () => {
    const reportDir = tmp();
    const c = fakeCluster(objects, {
      reportDir, podStatus: () => ({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/probe:v9"' } } }] }),
    });
    // The image comes from the environment, read once at the edge (core/options.ts).
    const options = defaultOptions({ GAUNTLET_PROBE_IMAGE: 'registry.example/probe:v9' }, { reportDir });
    const t0 = Date.now();
    const err = await probePolicies({ allowlist, kube: c.kube, namespaces: ['strict'], options, timeoutSeconds: 60 }).catch((e) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toMatch(/^probe image registry\.example\/probe:v9 cannot be pulled on node node-1 \(ImagePullBackOff/);
    expect(Date.now() - t0).toBeLessThan(30_000); // not the 60 s timeout
    expect(c.created.find((o) => o.kind === 'Pod')!.spec.containers[0].image).toBe('registry.example/probe:v9');
    expect(c.probeObjects()).toEqual([]);
  });

  it('reports a refusal as "reached, refused": never proof that the policy blocked it', async () => {
    const { kube } = fakeCluster(objects, { observe: (_l, target) => (target.startsWith('10.77.0.202') ? `dial tcp ${target}: connect: connection refused` : true) });
    const r = await probePolicies({ allowlist, kube, namespaces: ['strict'], options: { reportDir: tmp() }, ipBlockMode: 'cilium', retries: 0, timeoutSeconds: 10 });
    const denied = r.rows.find((x) => x.destination === 'denied')!;
    expect(denied).toMatchObject({ expected: 'blocked', observed: 'refused', mismatch: false });
    expect(denied.why).toMatch(/^reached, refused: .*proves neither that the policy blocked it/);
    expect(r.inconclusive).toBe(1);
    expect(r.verdictExitCode).toBe(1);
  });

  it('counts a refusal sent by another address than the destination (an enforcer that rejects, e.g. kube-router) as blocked', async () => {
    const rejected = (target: string) => `rejected on the path: ICMP unreachable from 10.78.1.1, not from the destination ${target.split(':')[0]} (dial tcp ${target}: connect: connection refused)`;
    const { kube } = fakeCluster(objects, { observe: (_l, target) => (target.startsWith('10.77.0.202') ? rejected(target) : true) });
    const r = await probePolicies({ allowlist, kube, namespaces: ['strict'], options: { reportDir: tmp() }, ipBlockMode: 'cilium', retries: 0, timeoutSeconds: 10 });
    const denied = r.rows.find((x) => x.destination === 'denied')!;
    expect(denied).toMatchObject({ expected: 'blocked', observed: 'blocked', mismatch: false });
    expect(denied.why).toMatch(/^blocked \(rejected on the path by 10\.78\.1\.1\) as the analysis expects/);
    expect(r.inconclusive).toBe(0);
    expect(r.verdictExitCode).toBe(0);
  });

  it('requires the namespaces to be named, or all of them explicitly', async () => {
    const { kube, created } = fakeCluster(objects);
    await expect(probePolicies({ allowlist, kube, namespaces: [] })).rejects.toBeInstanceOf(UsageError);
    await expect(probePolicies({ allowlist, kube } as never)).rejects.toThrow(/name the namespaces to probe/);
    expect(created).toEqual([]);
    const r = await probePolicies({ allowlist, kube, namespaces: 'all', dryRun: true });
    expect(r.plan.pods.map((p) => p.workload)).toEqual(['strict/Deployment/app', 'open/Deployment/app']); // not kube-system
    expect(schemaErrors('policies-probe-plan', probePlanDoc(r.plan))).toEqual([]); // scope "all"
  });

  it('plans without creating anything, naming the PodDisruptionBudgets and not-ready Services that select the probe pods', async () => {
    const reportDir = tmp();
    const { kube, created } = fakeCluster([
      ...objects,
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'app-pdb', namespace: 'strict' }, spec: { maxUnavailable: '10%', selector: { matchLabels: { app: 'app' } } } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'other-pdb', namespace: 'strict' }, spec: { selector: { matchLabels: { app: 'other' } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app-peers', namespace: 'strict' }, spec: { selector: { app: 'app' }, publishNotReadyAddresses: true } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: 'strict' }, spec: { selector: { app: 'app' } } },
    ]);
    const r = await probePolicies({ allowlist, kube, namespaces: ['strict', 'open'], options: { reportDir }, dryRun: true });
    expect(created).toEqual([]);
    expect(readdirSync(reportDir)).toEqual([]);
    expect(r.plan.pods[0]).toMatchObject({ workload: 'strict/Deployment/app', disruptionBudgets: ['PodDisruptionBudget strict/app-pdb'], notReadyServices: ['Service strict/app-peers'] });
    expect(r.plan.pods[1]).toMatchObject({ workload: 'open/Deployment/app', disruptionBudgets: [], notReadyServices: [] });
    const text = renderPlan(r.plan);
    expect(text).toContain('selected by PodDisruptionBudget strict/app-pdb');
    expect(text).toContain('selected by Service strict/app-peers (publishNotReadyAddresses)');
    expect(text).toMatch(/image gauntlet\.local\/probe:v1; .* lives at most \d+s/);
    expect(schemaErrors('policies-probe-plan', probePlanDoc(r.plan))).toEqual([]);
  });

  it('flags traffic the analysis allows but the network drops', async () => {
    // A network that only ever lets .201 through, whatever the policies say.
    const { kube } = fakeCluster(objects, { observe: (_labels, target) => target.startsWith('10.77.0.201') });
    const r = await probePolicies({ allowlist, kube, namespaces: ['strict', 'open'], options: { reportDir: tmp() }, ipBlockMode: 'cilium', retries: 0, timeoutSeconds: 10 });
    // open/app is not isolated: the analysis expects .202 reachable; our fake blocks it -> the other kind of mismatch.
    expect(r.mismatches.map((m) => m.finding)).toEqual([expect.stringContaining('analysis says allowed, traffic blocked: open/Deployment/app -> denied')]);
  });

  it('retries each check a bounded number of times, all checks in parallel', () => {
    const s = probeScript([{ id: 1, kind: 'tcp', target: '10.77.0.201:9000' }, { id: 2, kind: 'http', target: 'http://10.77.0.201:80/' }], 2, 2);
    expect(s).toContain('while [ $i -le 2 ]');
    expect(s).toContain("p 1 tcp '10.77.0.201:9000' &");
    expect(s).toContain("p 2 http 'http://10.77.0.201:80/' &");
    expect(s.trim().endsWith('echo DONE')).toBe(true);
  });
});

describe('what a probe result says about the path', () => {
  it('reads TCP and HTTP evidence of an open path, a refusal as its own outcome, and a UDP read timeout as blocked', () => {
    expect(observe('OK tcp 10.0.0.1:9000 "ping"')).toBe('reachable');
    expect(observe('FAIL tcp 10.0.0.1:9000: dial tcp 10.0.0.1:9000: i/o timeout')).toBe('blocked');
    expect(observe('FAIL tcp 10.0.0.1:9000: read tcp 10.78.0.2:4000->10.0.0.1:9000: i/o timeout')).toBe('reachable');
    expect(observe('FAIL udp 10.0.0.1:9001: read udp 10.78.1.14:51510->10.0.0.1:9001: i/o timeout')).toBe('blocked');
    expect(observe('FAIL tcp 10.0.0.1:9000: dial tcp 10.0.0.1:9000: connect: connection refused')).toBe('refused');
    expect(observe('FAIL http http://10.0.0.1:80/: Get "http://10.0.0.1:80/": dial tcp 10.0.0.1:80: connect: connection refused')).toBe('refused');
    expect(observe('FAIL udp 10.0.0.1:9001: read udp 10.78.1.14:51510->10.0.0.1:9001: recvfrom: connection refused')).toBe('refused');
  });

  it('reads a refusal that an ICMP error from another address caused (the probe says "rejected on the path") as blocked', () => {
    expect(observe('FAIL tcp 10.0.0.1:9000: rejected on the path: ICMP unreachable from 10.78.1.1, not from the destination 10.0.0.1 (dial tcp 10.0.0.1:9000: connect: connection refused)')).toBe('blocked');
    expect(observe('FAIL udp 10.0.0.1:9001: rejected on the path: ICMP unreachable from 10.78.1.1, not from the destination 10.0.0.1 (read udp 10.78.1.14:51510->10.0.0.1:9001: read: connection refused)')).toBe('blocked');
    expect(observe('FAIL http http://10.0.0.1:80/: rejected on the path: ICMP unreachable from 10.78.1.1, not from the destination 10.0.0.1 (Get "http://10.0.0.1:80/": dial tcp 10.0.0.1:80: connect: connection refused)')).toBe('blocked');
  });
});
