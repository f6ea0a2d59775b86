/**
 * `gauntlet policies check`: read an allowlist and manifests (or a live cluster), analyse, lint.
 * Violations are results; only unreadable input throws (InputError, exit 2).
 */
import { ExitCode } from '../core/errors.ts';
import { InputError, UsageError } from '../core/errors.ts';
import { readAllowlist } from './allowlist.ts';
import { Analysis, type WorkloadVerdict } from './analyze.ts';
import { buildModel } from './inputs.ts';
import { parseCidr, type IpRange } from './ipset.ts';
import { lint, type LintFinding } from './lint.ts';
import type { ClusterModel, EgressAllowlist, IpBlockModeOption } from './model.ts';
import { readManifests, type InputObject } from './sources.ts';

export interface PolicyCheckOptions {
  /** Path to the EgressAllowlist, or one already parsed. */
  allowlist: string | EgressAllowlist;
  /** Files or directories of manifests, or `-` for stdin. */
  manifests?: string | string[];
  /** Read objects from this kubeconfig context instead of manifests. */
  context?: string;
  /** The cluster connection resolved at the CLI edge (kubeconfig + context); used with `context`. */
  kube?: import('../core/kube.ts').Kube;
  /** Objects already in memory (tests, the probe). */
  objects?: InputObject[];
  /** Whether ipBlocks match pod IPs. Default `unknown`: analyse both, report either's violations. */
  ipBlockMode?: IpBlockModeOption;
  /** CIDRs pods get their IPs from, narrowing where a template's pods may sit. */
  podCidrs?: string[];
  maxCounterexamples?: number;
  /**
   * Progress lines for a person waiting (the CLI: stderr). A check that ends within 2 s says
   * nothing; a longer one says each phase as it ends and the analysis's progress every 5 s.
   */
  progress?: (line: string) => void;
}

/** Progress of a long check: see `PolicyCheckOptions.progress`. */
export function checkProgress(out?: (line: string) => void, now = () => performance.now()) {
  const t0 = now();
  let last: number | undefined;
  const secs = (t: number) => `${((t - t0) / 1000).toFixed(1)} s`;
  return {
    phase(what: string): void {
      const t = now();
      if (out && t - t0 >= 2000) out(`policies check: ${what} (${secs(t)})`);
    },
    shapes(done: number, total: number): void {
      if (!out) return;
      const t = now();
      if (t - t0 < 2000 || (last !== undefined && t - last < 5000)) return;
      last = t;
      out(`policies check: analysed ${done} of ${total} source shapes (${Math.floor((100 * done) / total)} %, ${secs(t)})`);
    },
  };
}

export interface PolicyCheckSummary {
  workloads: number;
  compliant: number;
  violation: number;
  inconclusive: number;
  findings: number;
}

export interface PolicyCheckResult {
  allowlist: string;
  input: string;
  ipBlockMode: IpBlockModeOption;
  workloads: WorkloadVerdict[];
  findings: LintFinding[];
  summary: PolicyCheckSummary;
  notes: string[];
}

export async function checkPolicies(opts: PolicyCheckOptions): Promise<PolicyCheckResult> {
  const sources = [opts.manifests !== undefined, opts.context !== undefined, opts.objects !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of --manifests or --context');
  const podCidrs = parseCidrs(opts.podCidrs ?? []);
  const allowlist = typeof opts.allowlist === 'string' ? await readAllowlist(opts.allowlist) : opts.allowlist;
  let objects: InputObject[];
  let input: string;
  if (opts.objects) {
    objects = opts.objects;
    input = 'objects';
  } else if (opts.context !== undefined) {
    const { readClusterObjects } = await import('./cluster.ts');
    objects = await readClusterObjects(opts.context, undefined, opts.kube);
    input = `context ${opts.context}`;
  } else {
    const list = Array.isArray(opts.manifests) ? opts.manifests : [opts.manifests as string];
    objects = (await Promise.all(list.map(readManifests))).flat();
    input = list.join(', ');
  }
  const progress = checkProgress(opts.progress);
  progress.phase(`read ${objects.length} objects`);
  const model = buildModel(objects);
  progress.phase(`${model.workloads.length} workloads, ${model.networkPolicies.length} NetworkPolicies, ${allowlist.rules.length} allowlist rules`);
  const r = analyseModel(model, allowlist, { ...opts, podCidrRanges: podCidrs, otherNamespaces: opts.context === undefined, input, onShapes: (d, t) => progress.shapes(d, t) });
  progress.phase(`analysed: ${r.summary.violation} violation, ${r.summary.inconclusive} inconclusive, ${r.summary.compliant} compliant`);
  return r;
}

export function analyseModel(
  model: ClusterModel,
  allowlist: EgressAllowlist,
  opts: { ipBlockMode?: IpBlockModeOption; podCidrRanges?: IpRange[]; otherNamespaces?: boolean; maxCounterexamples?: number; input?: string; onShapes?: (done: number, total: number) => void },
): PolicyCheckResult {
  const mode = opts.ipBlockMode ?? 'unknown';
  const analysis = new Analysis(model, allowlist, {
    mode, podCidrs: opts.podCidrRanges, otherNamespaces: opts.otherNamespaces ?? true, maxCounterexamples: opts.maxCounterexamples,
  });
  const workloads = analysis.run(opts.onShapes);
  const findings = lint(model);
  const count = (v: string) => workloads.filter((w) => w.verdict === v).length;
  return {
    allowlist: allowlist.file ?? allowlist.name,
    input: opts.input ?? 'objects',
    ipBlockMode: mode,
    workloads,
    findings,
    summary: { workloads: workloads.length, compliant: count('compliant'), violation: count('violation'), inconclusive: count('inconclusive'), findings: findings.length },
    notes: model.notes,
  };
}

/** 0 when every workload is compliant; 1 for any violation or inconclusive verdict, or nothing analysed. */
export function policyExitCode(r: PolicyCheckResult): ExitCode {
  return r.summary.violation || r.summary.inconclusive || !r.summary.workloads ? ExitCode.GateFailed : ExitCode.Pass;
}

function parseCidrs(list: string[]): IpRange[] {
  return list.map((text, i) => {
    const c = parseCidr(text);
    if (!c) throw new InputError([{ file: '<flags>', path: `--pod-cidr[${i}]`, message: `invalid CIDR "${text}"` }]);
    return { family: c.family, lo: c.lo, hi: c.hi };
  });
}
