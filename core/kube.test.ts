import { ApiException } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfraError, UsageError } from './errors.ts';
import { connect, loadKubeConfig, withRetry } from './kube.ts';

function kubeconfig(server: string, contexts = ['a']): string {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-kc-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [${contexts.map((c) => `{name: ${c}, context: {cluster: c, user: u, namespace: ns-${c}}}`).join(', ')}]
current-context: ${contexts[0]}
`,
  );
  return file;
}

const base = { env: {} as Record<string, string | undefined> };

describe('kube adapter', () => {
  it('follows kubectl precedence: --kubeconfig over $KUBECONFIG, and merges $KUBECONFIG files (first wins)', () => {
    const a = kubeconfig('https://127.0.0.1:1', ['alpha']);
    const b = kubeconfig('https://127.0.0.1:2', ['beta']);
    expect(loadKubeConfig({ ...base, kubeconfig: a, kubeconfigEnv: b }).getCurrentContext()).toBe('alpha');
    const merged = loadKubeConfig({ ...base, kubeconfigEnv: `${b}:${a}` });
    expect(merged.getCurrentContext()).toBe('beta');
    expect(merged.getContexts().map((c) => c.name).sort()).toEqual(['alpha', 'beta']);
  });

  it('names a missing context and a missing kubeconfig', () => {
    const a = kubeconfig('https://127.0.0.1:1', ['alpha']);
    expect(() => connect({ ...base, kubeconfig: a, context: 'prod' })).toThrow(/context "prod" not found in kubeconfig \(have: alpha\)/);
    expect(() => connect({ ...base, kubeconfig: '/nope/config' })).toThrow(UsageError);
    expect(() => connect({ ...base, kubeconfigEnv: '/nope/a:/nope/b' })).toThrow(InfraError);
  });

  it('resolves namespace: flag, then the context, then default', () => {
    const a = kubeconfig('https://127.0.0.1:1', ['alpha']);
    expect(connect({ ...base, kubeconfig: a }).namespace).toBe('ns-alpha');
    expect(connect({ ...base, kubeconfig: a, namespace: 'chat' }).namespace).toBe('chat');
  });

  it('an unreachable cluster is an infrastructure error naming the server and the call', async () => {
    // A real closed port: bind, learn the port, close.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const kube = connect({ ...base, kubeconfig: kubeconfig(`https://127.0.0.1:${port}`) });
    const err = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toMatch(new RegExp(`cluster unreachable at https://127.0.0.1:${port} \\(ECONNREFUSED\\) while trying to list pods in namespace x`));
  }, 30_000);

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    let calls = 0;
    const r = await withRetry({ verb: 'get', resource: 'pods' }, 's', async () => {
      calls++;
      if (calls < 3) throw new ApiException(calls === 1 ? 429 : 503, 'busy', '{}', {});
      return 'ok';
    });
    expect(r).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry RBAC denials and says which verb on which resource', async () => {
    let calls = 0;
    const err = await withRetry({ verb: 'delete', resource: 'pods', namespace: 'chat' }, 's', async () => {
      calls++;
      throw new ApiException(403, 'forbidden', JSON.stringify({ message: 'pods "x" is forbidden: User "dev" cannot delete resource "pods"' }), {});
    }).catch((e) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toMatch(/RBAC denies delete on pods in namespace chat: pods "x" is forbidden/);
  });

  it('tells a Pod Security admission denial from an RBAC denial (both are HTTP 403)', async () => {
    const msg = 'pods "probe" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)';
    const err = await withRetry({ verb: 'create', resource: 'pods', namespace: 'locked' }, 's', async () => {
      throw new ApiException(403, 'forbidden', JSON.stringify({ message: msg }), {});
    }).catch((e) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toBe(`admission denied create on pods in namespace locked: ${msg}`);
  });
});
