/**
 * `gauntlet policies probe`: send real traffic from probe pods that look like each workload's pods
 * and compare with the static analysis. "Analysis says blocked, traffic passed" means the CNI is not
 * enforcing what the policies say. Probe pods are always removed (finally, by label on recover).
 *
 * Targets are only pods of the cluster and the allowlist's configured probeTargets: never arbitrary
 * addresses from counterexamples (those are reported, not contacted).
 */
import { ExitCode } from '../core/errors.ts';
import { randomBytes } from 'node:crypto';
import { connect, type Kube } from '../core/kube.ts';
import { defaultOptions, type GauntletOptions } from '../core/options.ts';
import { readAllowlist } from './allowlist.ts';
import { Analysis } from './analyze.ts';
import { readClusterObjects } from './cluster.ts';
import { buildModel } from './inputs.ts';
import { parseCidr, parseIp, type IpRange } from './ipset.ts';
import type { EgressAllowlist, IpBlockModeOption, Workload } from './model.ts';
import type { InputObject } from './sources.ts';
import { cleanupProbes, createProbePod, DEFAULT_PROBE_IMAGE, podLog, probeScript, waitForPods, type ProbeCheck, type ProbeKind } from './probe-pods.ts';

export interface ProbeOptions {
  allowlist: string | EgressAllowlist;
  context?: string;
  options?: Partial<GauntletOptions>;
  /** An adapter already connected (tests, the scenario step). */
  kube?: Kube;
  ipBlockMode?: IpBlockModeOption;
  podCidrs?: string[];
  /** Only workloads in these namespaces (default: every namespace not starting with kube-). */
  namespaces?: string[];
  image?: string;
  retries?: number;
  /** Seconds a probe pod waits before its first attempt, so enforcement covers its new IP (default 3). */
  settleSeconds?: number;
  /** Per-attempt connect timeout. */
  attemptSeconds?: number;
  /** Overall limit for the whole probe. */
  timeoutSeconds?: number;
  /** Upper bound on (workload, target) pairs. */
  maxPairs?: number;
  signal?: AbortSignal;
  progress?: (line: string) => void;
  /** Objects the analysis assumes besides the cluster's (e.g. a policy about to be applied). */
  extraObjects?: InputObject[];
}

export type Expectation = 'allowed' | 'blocked' | 'depends-on-mode';
export type Observation = 'reachable' | 'blocked' | 'no-result';

export interface ProbeRow {
  workload: string;
  target: string;
  destination: string;
  kind: ProbeKind;
  port: number;
  expected: Expectation;
  approved: boolean;
  observed: Observation;
  detail: string;
  mismatch: boolean;
}

export interface ProbeResult {
  run: string;
  rows: ProbeRow[];
  mismatches: { row: ProbeRow; finding: string }[];
  /** Workloads not probed, with why (hostNetwork...). */
  skipped: string[];
  /** Unapproved-but-reachable pairs observed: the live counterpart of a violation. */
  unapprovedReachable: number;
  verdictExitCode: 0 | 1;
  cleanedUp: number;
  seconds: number;
}

interface Target {
  destination: string;
  address: string;
  kind: ProbeKind;
  port: number;
}

export async function probePolicies(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const progress = opts.progress ?? (() => {});
  const kube = opts.kube ?? connect({ ...defaultOptions(undefined, opts.options), context: opts.context });
  const allowlist = typeof opts.allowlist === 'string' ? await readAllowlist(opts.allowlist) : opts.allowlist;
  const model = buildModel([...(await readClusterObjects(kube.context, opts.options, kube)), ...(opts.extraObjects ?? [])]);
  const podCidrs: IpRange[] = (opts.podCidrs ?? []).map((t) => parseCidr(t)).filter((c) => !!c);
  const analysis = new Analysis(model, allowlist, { mode: opts.ipBlockMode ?? 'unknown', podCidrs, otherNamespaces: false });
  const inScope = (ns: string) => (opts.namespaces ? opts.namespaces.includes(ns) : !ns.startsWith('kube-'));

  const skipped: string[] = [];
  const sources = model.workloads.filter((w) => inScope(w.namespace)).filter((w) => {
    if (w.pod.hostNetwork) skipped.push(`${w.namespace}/${w.kind}/${w.name}: hostNetwork (a probe pod cannot stand in for it)`);
    return !w.pod.hostNetwork;
  });
  const targets: Target[] = [];
  for (const d of model.destinations) {
    const ip = d.ips[0];
    const port = d.namedPorts[0] ?? undefined;
    if (!ip || d.hostNetwork || !inScope(d.namespace) || !port || port.protocol === 'SCTP') continue;
    const kind: ProbeKind = port.protocol === 'UDP' ? 'udp' : /http/.test(port.name) || port.port === 80 || port.port === 8080 ? 'http' : 'tcp';
    targets.push({ destination: `pod ${d.namespace}/${d.name}`, address: ipText(d.ips[0]!), kind, port: port.port });
  }
  for (const t of allowlist.probeTargets) {
    targets.push({ destination: t.name, address: t.address, kind: t.protocol === 'HTTP' ? 'http' : t.protocol === 'UDP' ? 'udp' : 'tcp', port: t.port });
  }

  const run = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const rows: ProbeRow[] = [];
  const perPod: { w: Workload; name: string; checks: ProbeCheck[] }[] = [];
  const maxPairs = opts.maxPairs ?? 400;
  let id = 0;
  for (const [i, w] of sources.entries()) {
    const checks: ProbeCheck[] = [];
    for (const t of targets) {
      if (rows.length >= maxPairs) break;
      const addr = parseIp(t.address);
      if (!addr) continue;
      const q = analysis.query(w, addr, t.kind === 'udp' ? 'UDP' : 'TCP', t.port);
      const allowed = new Set(q.map((x) => x.allowed));
      const expected: Expectation = allowed.size > 1 ? 'depends-on-mode' : q[0]?.allowed ? 'allowed' : 'blocked';
      const host = t.address.includes(':') ? `[${t.address}]` : t.address;
      const target = t.kind === 'http' ? `http://${host}:${t.port}/` : `${host}:${t.port}`;
      checks.push({ id: ++id, kind: t.kind, target });
      rows.push({ workload: `${w.namespace}/${w.kind}/${w.name}`, target, destination: t.destination, kind: t.kind, port: t.port, expected, approved: q.every((x) => x.approved), observed: 'no-result', detail: '', mismatch: false });
    }
    if (checks.length) perPod.push({ w, name: `gauntlet-probe-${run}-${i}`, checks });
  }

  const attempt = opts.attemptSeconds ?? 2;
  const retries = opts.retries ?? 2;
  const deadline = started + (opts.timeoutSeconds ?? 120) * 1000;
  let cleanedUp = 0;
  try {
    for (const p of perPod) {
      if (opts.signal?.aborted) break;
      await createProbePod(kube, {
        run, namespace: p.w.namespace, name: p.name, labels: p.w.pod.labels, image: opts.image ?? DEFAULT_PROBE_IMAGE,
        script: probeScript(p.checks, retries, attempt, opts.settleSeconds ?? 3), deadlineSeconds: Math.max(30, Math.ceil((deadline - Date.now()) / 1000)),
      });
    }
    progress(`probe ${run}: ${perPod.length} probe pod(s), ${rows.length} check(s)`);
    await waitForPods(kube, perPod.map((p) => ({ namespace: p.w.namespace, name: p.name })), deadline, opts.signal);
    const byId = new Map<number, string>();
    for (const p of perPod) {
      for (const line of (await podLog(kube, p.w.namespace, p.name)).split('\n')) {
        const m = /^RESULT (\d+) (OK|FAIL) ?(.*)$/.exec(line);
        if (m) byId.set(Number(m[1]), `${m[2]} ${m[3]}`);
      }
    }
    rows.forEach((r, i) => {
      const out = byId.get(i + 1);
      r.detail = out ?? '';
      r.observed = out === undefined ? 'no-result' : connected(out) ? 'reachable' : 'blocked';
      r.mismatch = r.observed !== 'no-result' && r.expected !== 'depends-on-mode' && (r.observed === 'reachable') !== (r.expected === 'allowed');
    });
  } finally {
    cleanedUp = await cleanupProbes(kube, run);
  }
  const mismatches = rows.filter((r) => r.mismatch).map((row) => ({
    row,
    finding: row.observed === 'reachable'
      ? `analysis says blocked, traffic passed: ${row.workload} -> ${row.destination} ${row.kind}/${row.port} (the CNI is not enforcing this policy)`
      : `analysis says allowed, traffic blocked: ${row.workload} -> ${row.destination} ${row.kind}/${row.port}`,
  }));
  const unapprovedReachable = rows.filter((r) => r.observed === 'reachable' && !r.approved).length;
  return {
    run, rows, mismatches, skipped, unapprovedReachable, verdictExitCode: unapprovedReachable || rows.some((r) => r.observed === 'no-result') ? ExitCode.GateFailed : ExitCode.Pass,
    cleanedUp, seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/**
 * An OK, or evidence that packets got through, means the path is open: for TCP a failure after
 * the connection was made (read timeout, reset, EOF); for UDP an ICMP port-unreachable
 * ("connection refused" on read). A UDP read timeout is no evidence: a dropped datagram and an
 * unanswered one look the same, and the lab's world hosts always answer.
 */
export function connected(out: string): boolean {
  if (out.startsWith('OK')) return true;
  if (/dial/.test(out)) return false;
  return /\b(read|write) tcp\b.*(timeout|reset)|\bEOF\b|status=|\bread udp\b.*connection refused/.test(out);
}

function ipText(a: { family: 4 | 6; value: bigint }): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((a.value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
}

export function renderProbe(r: ProbeResult): string {
  const lines = [`probe run ${r.run}: ${r.rows.length} check(s) in ${r.seconds}s, ${r.mismatches.length} mismatch(es), ${r.cleanedUp} probe object(s) removed`, ''];
  const w = (s: string, n: number) => s.padEnd(n);
  lines.push(`${w('WORKLOAD', 32)} ${w('DESTINATION', 40)} ${w('CHECK', 10)} ${w('EXPECTED', 16)} ${w('APPROVED', 9)} OBSERVED`);
  for (const row of r.rows) {
    lines.push(`${w(row.workload, 32)} ${w(row.destination, 40)} ${w(`${row.kind}/${row.port}`, 10)} ${w(row.expected, 16)} ${w(row.approved ? 'yes' : 'NO', 9)} ${row.observed}${row.mismatch ? '  <-- MISMATCH' : ''}`);
  }
  if (r.mismatches.length) lines.push('', 'findings:', ...r.mismatches.map((m) => `  ${m.finding}`));
  for (const s of r.skipped) lines.push(`not probed: ${s}`);
  return lines.join('\n') + '\n';
}

/** For `gauntlet recover` and crashed runs: remove every probe pod Gauntlet left anywhere. */
export async function recoverProbes(opts: { context?: string; options?: Partial<GauntletOptions>; kube?: Kube }): Promise<number> {
  const kube = opts.kube ?? connect({ ...defaultOptions(undefined, opts.options), context: opts.context });
  return cleanupProbes(kube);
}
