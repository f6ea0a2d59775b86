/**
 * From validated NetworkPolicy / admin-policy fields to the analysis model: peers, port specs, origins.
 * Shared by the manifest reader and the allowlist, which speaks the same language.
 */
import type { InputIssue } from '../core/errors.ts';
import { formatPath, type PathSegment } from '../core/source.ts';
import { ipBlockSet, parseCidr, type Cidr } from './ipset.ts';
import type { Origin, Peer, PortSpec } from './model.ts';
import { MAX_PORT, MIN_PORT, type Protocol } from './ports.ts';
import type { AdminPeer, AnpPort, CnpProtocol, NpPeer, NpPort, Selector } from './schemas.ts';
import type { LabelSelector } from './selectors.ts';
import { issueAt, type InputObject } from './sources.ts';

/** Collects issues and makes origins for one input object. */
export class ObjectContext {
  readonly obj: InputObject;
  readonly label: string;
  readonly issues: InputIssue[];
  /** CIDRs written with host bits set, for the linter. */
  readonly hostBitCidrs: { text: string; origin: Origin }[] = [];

  constructor(obj: InputObject, label: string, issues: InputIssue[]) {
    this.obj = obj;
    this.label = label;
    this.issues = issues;
  }

  origin(path: readonly PathSegment[]): Origin {
    const o: Origin = { object: this.label, path: formatPath(path) };
    const { locator, base } = this.obj;
    if (locator) {
      o.file = locator.file;
      // Locating can parse a slice of the file: do it only when someone reads the line.
      let cached: { line: number; column: number } | undefined;
      const get = () => (cached ??= locator.locate([...base, ...path]));
      Object.defineProperty(o, 'line', { get: () => get().line, enumerable: true, configurable: true });
      Object.defineProperty(o, 'column', { get: () => get().column, enumerable: true, configurable: true });
    }
    return o;
  }

  issue(path: readonly PathSegment[], message: string): void {
    this.issues.push(issueAt(this.obj, path, message));
  }

  cidr(text: string, path: readonly PathSegment[]): Cidr | undefined {
    const c = parseCidr(text);
    if (!c) {
      this.issue(path, `invalid CIDR "${text}"`);
      return undefined;
    }
    if (c.hostBits) this.hostBitCidrs.push({ text, origin: this.origin(path) });
    return c;
  }
}

export function selector(s: Selector | null | undefined): LabelSelector {
  const out: LabelSelector = {};
  if (s?.matchLabels) out.matchLabels = s.matchLabels;
  if (s?.matchExpressions) {
    out.matchExpressions = s.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] }));
  }
  return out;
}

/**
 * A NetworkPolicy peer. `ownNamespace` is what a nil namespaceSelector means: the policy's
 * namespace, or `'source'` for an allowlist rule (the source pod's namespace).
 */
export function npPeer(ctx: ObjectContext, p: NpPeer, path: PathSegment[], ownNamespace: string | 'source'): Peer | undefined {
  const origin = ctx.origin(path);
  if (p.ipBlock) {
    const cidr = ctx.cidr(p.ipBlock.cidr, [...path, 'ipBlock', 'cidr']);
    const except: Cidr[] = [];
    (p.ipBlock.except ?? []).forEach((e, i) => {
      const ep = [...path, 'ipBlock', 'except', i];
      const c = ctx.cidr(e, ep);
      if (!c || !cidr) return;
      if (c.family !== cidr.family || c.lo < cidr.lo || c.hi > cidr.hi) ctx.issue(ep, `except ${e} is not inside cidr ${p.ipBlock?.cidr}`);
      else except.push(c);
    });
    if (!cidr) return undefined;
    const text = except.length ? `${p.ipBlock.cidr} except ${except.map((e) => e.text).join(',')}` : p.ipBlock.cidr;
    return { kind: 'ipBlock', set: ipBlockSet(cidr, except), text, origin };
  }
  const namespace =
    p.namespaceSelector != null
      ? { selector: selector(p.namespaceSelector) }
      : ownNamespace === 'source'
        ? ('source' as const)
        : { name: ownNamespace };
  return { kind: 'pods', namespace, pods: selector(p.podSelector), origin };
}

export function npPort(p: NpPort): PortSpec {
  const protocol: Protocol = p.protocol ?? 'TCP';
  if (typeof p.port === 'string') return { kind: 'named', protocol, name: p.port };
  if (typeof p.port === 'number') return { kind: 'range', protocol, lo: p.port, hi: p.endPort ?? p.port };
  return { kind: 'range', protocol, lo: MIN_PORT, hi: MAX_PORT };
}

/**
 * An admin-tier egress peer (exactly one field set). `networks` CIDRs match pod IPs too, whatever
 * the NetworkPolicy ipBlock mode: AdminNetworkPolicyEgressPeer.networks / ClusterNetworkPolicyEgressPeer.networks
 * say "cluster-internal traffic will be checked against the rule as well".
 */
export function adminPeers(ctx: ObjectContext, p: AdminPeer, path: PathSegment[]): Peer[] {
  const set = [p.namespaces, p.pods, p.nodes, p.networks, p.domainNames].filter((x) => x != null).length;
  if (set !== 1) ctx.issue(path, 'a peer needs exactly one of namespaces, pods, nodes, networks, domainNames');
  const origin = ctx.origin(path);
  if (p.namespaces) return [{ kind: 'pods', namespace: { selector: selector(p.namespaces) }, pods: {}, origin }];
  if (p.pods) return [{ kind: 'pods', namespace: { selector: selector(p.pods.namespaceSelector) }, pods: selector(p.pods.podSelector), origin }];
  if (p.nodes) return [{ kind: 'unmodelled', what: 'nodes peer', origin }];
  if (p.domainNames) return [{ kind: 'unmodelled', what: `domainNames ${p.domainNames.join(',')}`, origin }];
  const out: Peer[] = [];
  (p.networks ?? []).forEach((n, i) => {
    const c = ctx.cidr(n, [...path, 'networks', i]);
    if (c) out.push({ kind: 'ipBlock', set: ipBlockSet(c, []), text: n, origin: ctx.origin([...path, 'networks', i]), matchesPods: true });
  });
  return out;
}

export function anpPort(p: AnpPort): PortSpec {
  // v1alpha1 Port.protocol / PortRange.protocol: +kubebuilder:default=TCP.
  if (p.portNumber) return { kind: 'range', protocol: p.portNumber.protocol ?? 'TCP', lo: p.portNumber.port, hi: p.portNumber.port };
  if (p.portRange) return { kind: 'range', protocol: p.portRange.protocol ?? 'TCP', lo: p.portRange.start, hi: p.portRange.end };
  // AdminNetworkPolicyPort.namedPort: any protocol the container port declares.
  return { kind: 'named', name: p.namedPort as string };
}

/** One ClusterNetworkPolicyProtocol entry (exactly one of tcp, udp, sctp, destinationNamedPort). */
export function cnpProtocols(p: CnpProtocol): PortSpec[] {
  const out: PortSpec[] = [];
  for (const [key, protocol] of [['tcp', 'TCP'], ['udp', 'UDP'], ['sctp', 'SCTP']] as const) {
    const d = p[key]?.destinationPort;
    if (!d) continue;
    if (d.number != null) out.push({ kind: 'range', protocol, lo: d.number, hi: d.number });
    else if (d.range) out.push({ kind: 'range', protocol, lo: d.range.start, hi: d.range.end });
  }
  if (p.destinationNamedPort) out.push({ kind: 'named', name: p.destinationNamedPort });
  return out;
}
