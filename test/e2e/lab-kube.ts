/** Helpers for the lab's end-to-end tests: kubectl against the lab, and polling with a deadline. */
import { join } from 'node:path';
import { $ } from 'zx';
import { NET, WORLD_HOSTS, labPaths, labStatus, type WorldHost } from '../../lab/index.ts';
import { KIND, KIND_WORLD_HOSTS, kindPaths } from '../../lab/providers/kind/config.ts';

/**
 * The lab the e2e suite runs against: GAUNTLET_LAB_PROVIDER=kind selects the kind provider's
 * (its own kubeconfig, same context name `gauntlet-lab`); anything else, the local lab.
 */
export const LAB_PROVIDER: 'local' | 'kind' = process.env.GAUNTLET_LAB_PROVIDER === 'kind' ? 'kind' : 'local';
const p = LAB_PROVIDER === 'kind' ? { ...labPaths(), kubeconfig: kindPaths(labPaths()).kubeconfig } : labPaths();
/** The selected lab's kubeconfig. */
export const labKubeconfig = (): string => p.kubeconfig;
/** The selected lab's outside-world hosts (same names and ports on both providers, other addresses). */
export const labWorldHosts = (): readonly WorldHost[] => (LAB_PROVIDER === 'kind' ? KIND_WORLD_HOSTS : WORLD_HOSTS);
/**
 * A fixed ClusterIP in the selected lab's Service range, by its last two octets: serviceIp('0.124')
 * is 10.79.0.124 on the local lab, 10.75.0.124 on kind.
 */
export const serviceIp = (lastTwo: string): string => `${(LAB_PROVIDER === 'kind' ? KIND.serviceCidr : NET.serviceCidr).split('.').slice(0, 2).join('.')}.${lastTwo}`;
const q = $({ quiet: true, verbose: false, nothrow: true });

export interface Result {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export async function k(args: string[], input?: string): Promise<Result> {
  const cmd = [`--kubeconfig=${p.kubeconfig}`, '--request-timeout=20s', ...args];
  const r = input === undefined ? await q`${join(p.bin, 'kubectl')} ${cmd}` : await q({ input })`${join(p.bin, 'kubectl')} ${cmd}`;
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl that must succeed. */
export async function kk(args: string[], input?: string): Promise<string> {
  const r = await k(args, input);
  if (!r.ok) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export async function kjson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kk([...args, '-o', 'json'])) as T;
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Fail loudly (never skip) when the lab is not up: CI brings it up before the e2e project. */
export async function requireLab(): Promise<void> {
  const s = await labStatus({ provider: LAB_PROVIDER });
  if (s.phase !== 'up') {
    throw new Error(`the lab is not up (phase ${s.phase}; stale: ${s.stale.join('; ') || 'none'}). Run \`gauntlet lab up --provider ${LAB_PROVIDER}\` first.`);
  }
}

/** Run the probe binary inside a pod; true when it connected. */
export async function probe(ns: string, pod: string, kind: 'tcp' | 'udp' | 'http' | 'dns', target: string): Promise<Result> {
  return k(['-n', ns, 'exec', pod, '--', '/bin/probe', '-timeout=3s', kind, target]);
}
