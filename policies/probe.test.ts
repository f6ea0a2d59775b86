/**
 * The probe flow against an in-memory cluster: what the probe pods look like (restricted, same
 * labels, owned, never Ready), the expected-vs-observed table, mismatches, and cleanup by label.
 */
import { describe, expect, it } from 'vitest';
import type { Kube } from '../core/kube.ts';
import { parseAllowlist } from './allowlist.ts';
import { probePolicies } from './probe.ts';
import { PROBE_RUN_LABEL, probeScript } from './probe-pods.ts';

type Obj = { apiVersion: string; kind: string; metadata: Record<string, any>; spec?: any; status?: any };

function fakeCluster(objects: Obj[], observe: (podLabels: Record<string, string>, target: string) => boolean) {
  const store = [...objects];
  let uid = 0;
  const created: Obj[] = [];
  const kube = {
    context: 'fake', server: 'fake', namespace: 'default',
    async list(q: { kind: string; labelSelector?: string }) {
      const items = store.filter((o) => o.kind === q.kind && (!q.labelSelector || q.labelSelector.split('=')[0]! in (o.metadata.labels ?? {})));
      if (q.kind.endsWith('NetworkPolicy') && q.kind !== 'NetworkPolicy') throw new Error('404');
      return { items: items.filter((o) => !q.labelSelector?.includes('=') || o.metadata.labels?.[PROBE_RUN_LABEL] === q.labelSelector.split('=')[1]), resourceVersion: '1' };
    },
    async create(o: Obj) {
      const c = { ...o, metadata: { ...o.metadata, uid: `u${++uid}` }, status: o.kind === 'Pod' ? { phase: 'Succeeded' } : undefined };
      store.push(c);
      created.push(c);
      return c;
    },
    async get(ref: { kind: string; name: string; namespace?: string }) {
      return store.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace);
    },
    async delete(ref: { kind: string; name: string; namespace?: string }) {
      const i = store.findIndex((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace);
      if (i < 0) return 'absent';
      store.splice(i, 1);
      return 'deleted';
    },
    async logs({ name, namespace }: { name: string; namespace: string }) {
      const pod = created.find((o) => o.kind === 'Pod' && o.metadata.name === name && o.metadata.namespace === namespace) as Obj;
      const script: string = pod.spec.containers[0].command[2];
      return [...script.matchAll(/^p (\d+) (\w+) '([^']+)' &$/gm)]
        .map(([, id, , target]) => `RESULT ${id} ${observe(pod.metadata.labels, target as string) ? 'OK "pong"' : 'FAIL dial tcp: i/o timeout'}`)
        .join('\n');
    },
  };
  return { kube: kube as unknown as Kube, store, created };
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
  ns('strict'), ns('open'), deploy('app', 'strict'), deploy('app', 'open'),
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'only-allowed', namespace: 'strict' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.77.0.201/32' } }], ports: [{ port: 9000 }] }] } },
];

describe('policies probe', () => {
  it('builds a table of expected vs observed and removes every probe object', async () => {
    // A CNI that enforces nothing: every check connects.
    const { kube, store, created } = fakeCluster(objects, () => true);
    const r = await probePolicies({ allowlist, kube, ipBlockMode: 'cilium', retries: 1, timeoutSeconds: 10 });
    expect(r.rows.map((x) => `${x.workload} ${x.destination} ${x.expected} ${x.observed}`)).toEqual([
      'strict/Deployment/app allowed allowed reachable',
      'strict/Deployment/app denied blocked reachable',
      'open/Deployment/app allowed allowed reachable',
      'open/Deployment/app denied allowed reachable',
    ]);
    // The fake passes everything: the strict namespace's policy is not enforced -> a finding.
    expect(r.mismatches.map((m) => m.finding)).toEqual([expect.stringContaining('analysis says blocked, traffic passed: strict/Deployment/app -> denied')]);
    expect(r.unapprovedReachable).toBe(2);

    const pod = created.find((o) => o.kind === 'Pod') as Obj;
    expect(pod.metadata.labels).toMatchObject({ app: 'app', [PROBE_RUN_LABEL]: r.run });
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ConfigMap', controller: true });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.containers[0].readinessProbe).toBeDefined();
    expect(store.filter((o) => o.metadata.labels?.[PROBE_RUN_LABEL])).toEqual([]);
    expect(r.cleanedUp).toBe(4);
  });

  it('flags traffic the analysis allows but the network drops', async () => {
    // A network that only ever lets .201 through, whatever the policies say.
    const { kube } = fakeCluster(objects, (_labels, target) => target.startsWith('10.77.0.201'));
    const r = await probePolicies({ allowlist, kube, ipBlockMode: 'cilium', retries: 0, timeoutSeconds: 10 });
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
  it('reads TCP and HTTP evidence of an open path, and a UDP read timeout as blocked', async () => {
    const { connected } = await import('./probe.ts');
    expect(connected('OK tcp 10.0.0.1:9000 "ping"')).toBe(true);
    expect(connected('FAIL tcp 10.0.0.1:9000: dial tcp 10.0.0.1:9000: i/o timeout')).toBe(false);
    expect(connected('FAIL tcp 10.0.0.1:9000: read tcp 10.78.0.2:4000->10.0.0.1:9000: i/o timeout')).toBe(true);
    expect(connected('FAIL udp 10.0.0.1:9001: read udp 10.78.1.14:51510->10.0.0.1:9001: i/o timeout')).toBe(false);
    expect(connected('FAIL udp 10.0.0.1:9001: read udp 10.78.1.14:51510->10.0.0.1:9001: recvfrom: connection refused')).toBe(true);
  });
});
