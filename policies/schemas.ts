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

/*
 * Admin-tier shapes, verified against sigs.k8s.io/network-policy-api v0.2.0 (apis/v1alpha1 has the
 * same AdminNetworkPolicy/BaselineAdminNetworkPolicy types since v0.1.5; apis/v1alpha2 first ships
 * in v0.2.0), experimental channel (nodes, domainNames, namedPort included). Comments name the Go
 * type and field each shape mirrors.
 */

/** v1alpha1 NamespacedPod: namespaceSelector and podSelector are both required. */
const podsPeerV1 = z.strictObject({ namespaceSelector: selectorSchema, podSelector: selectorSchema });
/** v1alpha2 NamespacedPod: only podSelector is required; an omitted namespaceSelector selects every namespace. */
const podsPeerV2 = z.strictObject({ namespaceSelector: selectorSchema.nullish(), podSelector: selectorSchema });

function exactlyOne(keys: readonly string[]) {
  return (o: Record<string, unknown>) => keys.filter((k) => o[k] != null).length === 1;
}

/** AdminNetworkPolicySubject / ClusterNetworkPolicySubject: exactly one of namespaces, pods. */
function subject(pods: typeof podsPeerV1 | typeof podsPeerV2) {
  return z
    .strictObject({ namespaces: selectorSchema.nullish(), pods: pods.nullish() })
    .refine(exactlyOne(['namespaces', 'pods']), { message: 'subject needs exactly one of namespaces or pods' });
}

/** v1alpha1 PortRange / v1alpha2 PortRange: start and end in 1-65535. */
const portRangeV1 = z
  .strictObject({ protocol: protocol.nullish(), start: portNumber, end: portNumber })
  // v1alpha1 PortRange.Start: "the Start value must be less than End" (no CEL rule; an inverted range means nothing).
  .refine((r) => r.start <= r.end, { message: 'portRange start must not be greater than end', path: ['end'] });

/** v1alpha1 AdminNetworkPolicyPort: exactly one of portNumber, namedPort, portRange; protocol defaults to TCP. */
export const anpPortSchema = z
  .strictObject({
    portNumber: z.strictObject({ protocol: protocol.nullish(), port: portNumber }).nullish(),
    namedPort: portName.nullish(),
    portRange: portRangeV1.nullish(),
  })
  .refine(exactlyOne(['portNumber', 'namedPort', 'portRange']), { message: 'exactly one of portNumber, namedPort, portRange' });

/** v1alpha2 Port: exactly one of number, range; PortRange CEL rule `self.start < self.end`. */
const cnpPort = z
  .strictObject({
    number: portNumber.nullish(),
    range: z
      .strictObject({ start: portNumber, end: portNumber })
      .refine((r) => r.start < r.end, { message: 'Start port must be less than End port', path: ['end'] })
      .nullish(),
  })
  .refine(exactlyOne(['number', 'range']), { message: 'destinationPort needs exactly one of number or range' });
/** ClusterNetworkPolicyProtocolTCP/UDP/SCTP: MinProperties=1, so destinationPort is required. */
const protoPort = z.strictObject({ destinationPort: cnpPort });
/** ClusterNetworkPolicyProtocol: exactly one of tcp, udp, sctp, destinationNamedPort. */
export const cnpProtocolSchema = z
  .strictObject({
    tcp: protoPort.nullish(),
    udp: protoPort.nullish(),
    sctp: protoPort.nullish(),
    destinationNamedPort: portName.nullish(),
  })
  .refine(exactlyOne(['tcp', 'udp', 'sctp', 'destinationNamedPort']), { message: 'a protocols entry needs exactly one of tcp, udp, sctp, destinationNamedPort' });

/** DomainName: exact name or `*.` prefix wildcard (the CRD pattern). */
const domainName = z.string().regex(/^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/, 'not a domain name (exact, or *.-prefixed)');
/** CIDR list (listType=set, 1-25 items; each isCIDR, checked when normalizing). */
const networks = z.array(z.string().max(43)).min(1).max(25);

/** AdminNetworkPolicyEgressPeer (v1alpha1): namespaces, pods, nodes, networks, domainNames; exactly one. */
const anpEgressPeer = z.strictObject({
  namespaces: selectorSchema.nullish(),
  pods: podsPeerV1.nullish(),
  nodes: selectorSchema.nullish(),
  networks: networks.nullish(),
  domainNames: z.array(domainName).min(1).max(25).nullish(),
});
/** BaselineAdminNetworkPolicyEgressPeer (v1alpha1): no domainNames. */
const banpEgressPeer = z.strictObject({
  namespaces: selectorSchema.nullish(),
  pods: podsPeerV1.nullish(),
  nodes: selectorSchema.nullish(),
  networks: networks.nullish(),
});
/** ClusterNetworkPolicyEgressPeer (v1alpha2). */
const cnpEgressPeer = z.strictObject({
  namespaces: selectorSchema.nullish(),
  pods: podsPeerV2.nullish(),
  nodes: selectorSchema.nullish(),
  networks: networks.nullish(),
  domainNames: z.array(domainName).min(1).max(25).nullish(),
});

const ruleName = z.string().max(100).nullish();
type PeerLike = { networks?: unknown; nodes?: unknown; domainNames?: unknown };
const noNamedPortTo = (to: PeerLike[]) => to.some((p) => p.networks != null || p.nodes != null || p.domainNames != null);
const NAMED_PORT_MESSAGE = 'networks/nodes/domainNames peer cannot be set with named ports since there are no named ports for networks/nodes/domainNames';

/** AdminNetworkPolicyEgressRule: to (1-100), ports (optional, 1-100). */
const anpEgressRule = z
  .strictObject({
    name: ruleName,
    action: z.enum(['Allow', 'Deny', 'Pass']),
    to: z.array(anpEgressPeer).min(1).max(100),
    ports: z.array(anpPortSchema).min(1).max(100).nullish(),
  })
  .refine((r) => !(noNamedPortTo(r.to) && (r.ports ?? []).some((p) => p.namedPort != null)), { message: NAMED_PORT_MESSAGE, path: ['ports'] });
/** BaselineAdminNetworkPolicyEgressRule: actions Allow, Deny only. */
const banpEgressRule = z
  .strictObject({
    name: ruleName,
    action: z.enum(['Allow', 'Deny']),
    to: z.array(banpEgressPeer).min(1).max(100),
    ports: z.array(anpPortSchema).min(1).max(100).nullish(),
  })
  .refine((r) => !(noNamedPortTo(r.to) && (r.ports ?? []).some((p) => p.namedPort != null)), { message: NAMED_PORT_MESSAGE, path: ['ports'] });
/** ClusterNetworkPolicyEgressRule: to (1-25), protocols (optional, 1-25); there is no `ports` in v1alpha2. */
const cnpEgressRule = z
  .strictObject({
    name: ruleName,
    action: z.enum(['Accept', 'Deny', 'Pass']),
    to: z.array(cnpEgressPeer).min(1).max(25),
    protocols: z.array(cnpProtocolSchema).min(1).max(25).nullish(),
  })
  .refine((r) => !(noNamedPortTo(r.to) && (r.protocols ?? []).some((p) => p.destinationNamedPort != null)), { message: NAMED_PORT_MESSAGE, path: ['protocols'] });

/** AdminNetworkPolicySpec: priority 0-1000, subject, ingress/egress up to 100 rules. */
export const anpSpecSchema = z.strictObject({
  priority: z.number().int().min(0).max(1000),
  subject: subject(podsPeerV1),
  ingress: z.array(z.unknown()).max(100).nullish(),
  egress: z.array(anpEgressRule).max(100).nullish(),
});

/** BaselineAdminNetworkPolicySpec: no priority (a singleton named "default"). */
export const banpSpecSchema = z.strictObject({
  subject: subject(podsPeerV1),
  ingress: z.array(z.unknown()).max(100).nullish(),
  egress: z.array(banpEgressRule).max(100).nullish(),
});

/** ClusterNetworkPolicySpec: tier Admin|Baseline (required), priority 0-1000, up to 25 rules; Pass is valid in both tiers. */
export const cnpSpecSchema = z.strictObject({
  tier: z.enum(['Admin', 'Baseline']),
  priority: z.number().int().min(0).max(1000),
  subject: subject(podsPeerV2),
  ingress: z.array(z.unknown()).max(25).nullish(),
  egress: z.array(cnpEgressRule).max(25).nullish(),
});

export type Selector = z.infer<typeof selectorSchema>;
export type NpSpec = z.infer<typeof npSpecSchema>;
export type NpPort = z.infer<typeof npPortSchema>;
export type NpPeer = z.infer<typeof npPeerSchema>;
export type AnpPort = z.infer<typeof anpPortSchema>;
export type CnpProtocol = z.infer<typeof cnpProtocolSchema>;
/** Any admin-tier egress peer (ANP, BANP, CNP), as normalization reads it. */
export interface AdminPeer {
  namespaces?: Selector | null;
  pods?: { namespaceSelector?: Selector | null; podSelector: Selector } | null;
  nodes?: Selector | null;
  networks?: string[] | null;
  domainNames?: string[] | null;
}
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
