/**
 * The new version's pod template (stable's with a change applied, or a manifest's), and the
 * merge patches between templates that promotion and its revert apply.
 */
import { readManifests } from './strategies/deploy.ts';
import type { PodTemplate } from './router.ts';

/** How the scenario gives the new version. */
export interface VersionChange {
  container?: string;
  image?: string;
  env?: Record<string, string>;
  args?: string[];
  manifest?: string;
}

/** RFC 7386 merge patch that turns `from` into `to` (arrays replaced whole, removed keys null). */
export function mergeDiff(from: unknown, to: unknown): unknown {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(from) || !isObj(to)) return to;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(to)) if (!(k in from)) out[k] = v;
  else if (JSON.stringify(from[k]) !== JSON.stringify(v)) out[k] = mergeDiff(from[k], v);
  for (const k of Object.keys(from)) if (!(k in to)) out[k] = null;
  return out;
}

/** The new version's pod template: stable's with the change applied, or the manifest's. */
export function newTemplate(stable: PodTemplate, p: VersionChange, scenarioFile: string, namespace: string, vars: Record<string, string | number | boolean> = {}): PodTemplate {
  if (p.manifest) {
    const dep = readManifests([p.manifest], scenarioFile, namespace, vars).find((o) => o.kind === 'Deployment');
    if (!dep) throw new Error(`${p.manifest}: no Deployment in the manifest`);
    return structuredClone((dep.spec as { template: PodTemplate }).template);
  }
  const t = structuredClone(stable);
  const c = p.container ? t.spec.containers.find((x) => x.name === p.container) : t.spec.containers[0];
  if (!c) throw new Error(`container ${p.container} not in the pod template (have: ${t.spec.containers.map((x) => x.name).join(', ')})`);
  if (p.image) c.image = p.image;
  if (p.args) c.args = p.args;
  if (p.env) {
    const env = ((c.env as Array<{ name: string; value?: string }> | undefined) ?? []).filter((e) => !(e.name in p.env!));
    c.env = [...env, ...Object.entries(p.env).map(([name, value]) => ({ name, value }))];
  }
  return t;
}

export function describeChange(p: VersionChange): string {
  if (p.manifest) return `the pod template of ${p.manifest}`;
  return [p.image && `image ${p.image}`, p.env && `env ${Object.entries(p.env).map(([k, v]) => `${k}=${v}`).join(' ')}`, p.args && `args ${JSON.stringify(p.args)}`].filter(Boolean).join(', ');
}

