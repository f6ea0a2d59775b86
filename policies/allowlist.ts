/**
 * The EgressAllowlist: which egress a team approves, written in NetworkPolicy's language.
 * A destination is approved for a source pod when any rule selecting that pod approves it.
 */
import { z } from 'zod';
import { InputError, type InputIssue } from '../core/errors.ts';
import type { PathSegment } from '../core/source.ts';
import { parseIp } from './ipset.ts';
import type { AllowlistRule, EgressAllowlist, Origin, ProbeTarget } from './model.ts';
import { npPeer, npPort, ObjectContext, selector } from './normalize.ts';
import { npPeerSchema, npPortSchema, selectorSchema, zodIssues } from './schemas.ts';
import { parseManifestText, readManifests, type InputObject } from './sources.ts';

export const ALLOWLIST_API_VERSION = 'gauntlet.dev/v1alpha1';

const ruleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  from: z.strictObject({ namespaceSelector: selectorSchema.nullish(), podSelector: selectorSchema.nullish() }).nullish(),
  to: z.array(npPeerSchema).nullish(),
  ports: z.array(npPortSchema).nullish(),
});

const probeTargetSchema = z.strictObject({
  name: z.string().min(1),
  address: z.string().refine((a) => !!parseIp(a), 'an IPv4 or IPv6 address'),
  protocol: z.enum(['TCP', 'UDP', 'HTTP']),
  port: z.number().int().min(1).max(65535),
});

const allowlistSchema = z.strictObject({
  apiVersion: z.literal(ALLOWLIST_API_VERSION),
  kind: z.literal('EgressAllowlist'),
  metadata: z.strictObject({ name: z.string().min(1), annotations: z.record(z.string(), z.string()).nullish() }),
  spec: z.strictObject({
    rules: z.array(ruleSchema),
    probeTargets: z.array(probeTargetSchema).nullish(),
  }),
});

export async function readAllowlist(file: string): Promise<EgressAllowlist> {
  const objects = await readManifests(file);
  return allowlistFromObjects(objects, file);
}

export function parseAllowlist(text: string, file = '<allowlist>'): EgressAllowlist {
  return allowlistFromObjects(parseManifestText(text, file), file);
}

function allowlistFromObjects(objects: InputObject[], file: string): EgressAllowlist {
  if (objects.length !== 1) {
    throw new InputError([{ file, path: '', message: `expected one EgressAllowlist document, found ${objects.length}` }]);
  }
  const obj = objects[0] as InputObject;
  const issues: InputIssue[] = [];
  const ctx = new ObjectContext(obj, 'EgressAllowlist', issues);
  const r = allowlistSchema.safeParse(obj.value);
  if (!r.success) {
    for (const i of zodIssues(r.error)) ctx.issue(i.path, i.message);
    throw new InputError(issues);
  }
  const spec = r.data.spec;
  const seen = new Set<string>();
  const rules: AllowlistRule[] = spec.rules.map((rule, i) => {
    const path: PathSegment[] = ['spec', 'rules', i];
    if (seen.has(rule.name)) ctx.issue([...path, 'name'], `duplicate rule name "${rule.name}"`);
    seen.add(rule.name);
    const to = rule.to ?? [];
    const peers = to.length ? to.map((p, j) => npPeer(ctx, p, [...path, 'to', j], 'source')).filter((p) => !!p) : 'all';
    return {
      name: rule.name,
      from: {
        namespaces: rule.from?.namespaceSelector ? selector(rule.from.namespaceSelector) : undefined,
        pods: rule.from?.podSelector ? selector(rule.from.podSelector) : undefined,
      },
      peers,
      ports: rule.ports?.length ? rule.ports.map(npPort) : 'all',
      origin: named(ctx.origin(path), `EgressAllowlist rule "${rule.name}"`),
    };
  });
  const probeTargets: ProbeTarget[] = (spec.probeTargets ?? []).map((t, i) => ({ ...t, origin: ctx.origin(['spec', 'probeTargets', i]) }));
  if (issues.length) throw new InputError(issues);
  return { name: r.data.metadata.name, rules, probeTargets, file };
}

/** The origin under another object name; its line and column stay lazy (spreading it would locate it now). */
function named(o: Origin, object: string): Origin {
  o.object = object;
  return o;
}
