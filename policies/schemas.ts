/**
 * Strict shapes of the policy objects Gauntlet reads. Unknown fields are input errors (exit 2):
 * a misspelt `namespaceSelecter` silently widening a peer is exactly what this tool must not miss.
 */
import { z } from 'zod';

const labelValue = z.string();
export const selectorSchema = z
  .strictObject({
    matchLabels: z.record(z.string(), labelValue).nullish(),
    matchExpressions: z
      .array(
        z
          .strictObject({
            key: z.string().min(1),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).nullish(),
          })
          .refine((e) => ((e.operator === 'In' || e.operator === 'NotIn') ? !!e.values?.length : !e.values?.length), {
            message: 'In/NotIn need values; Exists/DoesNotExist take none',
          }),
      )
      .nullish(),
  });

const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const portNumber = z.number().int().min(1).max(65535);
const portName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a named port is lowercase letters, digits and dashes').max(15);

export const npPortSchema = z
  .strictObject({
    protocol: protocol.nullish(),
    port: z.union([portNumber, portName]).nullish(),
    endPort: portNumber.nullish(),
  })
  .refine((p) => p.endPort == null || typeof p.port === 'number', { message: 'endPort needs a numeric port', path: ['endPort'] })
  .refine((p) => p.endPort == null || typeof p.port !== 'number' || p.endPort >= p.port, {
    message: 'endPort must be >= port',
    path: ['endPort'],
  });

export const ipBlockSchema = z.strictObject({ cidr: z.string(), except: z.array(z.string()).nullish() });

export const npPeerSchema = z
  .strictObject({
    podSelector: selectorSchema.nullish(),
    namespaceSelector: selectorSchema.nullish(),
    ipBlock: ipBlockSchema.nullish(),
  })
  .refine((p) => !p.ipBlock || (p.podSelector == null && p.namespaceSelector == null), {
    message: 'ipBlock cannot be combined with podSelector or namespaceSelector in one peer',
  })
  .refine((p) => p.ipBlock != null || p.podSelector != null || p.namespaceSelector != null, {
    message: 'a peer needs podSelector, namespaceSelector or ipBlock',
  });

export const npSpecSchema = z.strictObject({
  podSelector: selectorSchema,
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])).nullish(),
  ingress: z.array(z.unknown()).nullish(),
  egress: z
    .array(z.strictObject({ to: z.array(npPeerSchema).nullish(), ports: z.array(npPortSchema).nullish() }))
    .nullish(),
});

const podsPeer = z.strictObject({ namespaceSelector: selectorSchema, podSelector: selectorSchema });
const subjectSchema = z
  .strictObject({ namespaces: selectorSchema.nullish(), pods: podsPeer.nullish() })
  .refine((s) => (s.namespaces == null) !== (s.pods == null), { message: 'subject needs exactly one of namespaces or pods' });

export const anpPortSchema = z
  .strictObject({
    portNumber: z.strictObject({ protocol: protocol, port: portNumber }).nullish(),
    namedPort: portName.nullish(),
    portRange: z.strictObject({ protocol: protocol.nullish(), start: portNumber, end: portNumber }).nullish(),
  })
  .refine((p) => [p.portNumber, p.namedPort, p.portRange].filter((x) => x != null).length === 1, {
    message: 'exactly one of portNumber, namedPort, portRange',
  });

const protoPort = z.strictObject({
  destinationPort: z
    .strictObject({ number: portNumber.nullish(), range: z.strictObject({ start: portNumber, end: portNumber }).nullish() })
    .nullish(),
});
export const cnpProtocolSchema = z.strictObject({
  tcp: protoPort.nullish(),
  udp: protoPort.nullish(),
  sctp: protoPort.nullish(),
  destinationNamedPort: portName.nullish(),
});

const adminPeer = z.strictObject({
  namespaces: selectorSchema.nullish(),
  pods: podsPeer.nullish(),
  nodes: selectorSchema.nullish(),
  networks: z.array(z.string()).nullish(),
  domainNames: z.array(z.string()).nullish(),
});

function adminRule(actions: readonly [string, ...string[]]) {
  return z.strictObject({
    name: z.string().nullish(),
    action: z.enum(actions),
    to: z.array(adminPeer).min(1),
    ports: z.array(anpPortSchema).nullish(),
    protocols: z.array(cnpProtocolSchema).nullish(),
  });
}

export const anpSpecSchema = z.strictObject({
  priority: z.number().int().min(0).max(1000),
  subject: subjectSchema,
  ingress: z.array(z.unknown()).nullish(),
  egress: z.array(adminRule(['Allow', 'Deny', 'Pass'])).nullish(),
});

export const banpSpecSchema = z.strictObject({
  subject: subjectSchema,
  ingress: z.array(z.unknown()).nullish(),
  egress: z.array(adminRule(['Allow', 'Deny'])).nullish(),
});

export const cnpSpecSchema = z
  .strictObject({
    tier: z.enum(['Admin', 'Baseline']),
    priority: z.number().int().min(0).max(1000),
    subject: subjectSchema,
    ingress: z.array(z.unknown()).nullish(),
    egress: z.array(adminRule(['Accept', 'Deny', 'Pass'])).nullish(),
  })
  .refine((s) => s.tier === 'Admin' || !(s.egress ?? []).some((r) => r.action === 'Pass'), {
    message: 'Pass is only valid in the Admin tier',
  });

export type Selector = z.infer<typeof selectorSchema>;
export type NpSpec = z.infer<typeof npSpecSchema>;
export type NpPort = z.infer<typeof npPortSchema>;
export type NpPeer = z.infer<typeof npPeerSchema>;
export type AnpPort = z.infer<typeof anpPortSchema>;
export type CnpProtocol = z.infer<typeof cnpProtocolSchema>;
export type AdminPeer = z.infer<typeof adminPeer>;
export type AnpSpec = z.infer<typeof anpSpecSchema>;
export type BanpSpec = z.infer<typeof banpSpecSchema>;
export type CnpSpec = z.infer<typeof cnpSpecSchema>;

/** Zod issues as (path, message), with unknown keys pointing at the key itself. */
export function zodIssues(err: z.ZodError): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  for (const i of err.issues) {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: [...path, k], message: `unknown field "${k}"` });
    } else out.push({ path, message: i.message });
  }
  return out;
}
