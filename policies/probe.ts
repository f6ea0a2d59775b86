/**
 * `gauntlet policies probe`: send real traffic from probe pods that look like each workload's pods
 * and compare with the static analysis. "Analysis says blocked, traffic passed" means the CNI is not
 * enforcing what the policies say.
 *
 * Every probe pod goes through the change ledger (journaled before it is made; the scenario's
 * ledger, or a run directory of its own), lives only until it has reported, and is removed even
 * after a crash (`gauntlet recover <run-dir>`). Targets are only pods of the cluster and the
 * allowlist's configured probeTargets: never arbitrary addresses from counterexamples.
 */
import { randomBytes } from 'node:crypto';
import type { ChangeLedger } from '../core/changes.ts';
import { ExitCode, InfraError, UsageError, type UnrevertedChange } from '../core/errors.ts';
import { connect, type Kube } from '../core/kube.ts';
import { defaultOptions, type GauntletOptions } from '../core/options.ts';
import { sleep } from '../core/proc.ts';
import { readAllowlist } from './allowlist.ts';
import { Analysis } from './analyze.ts';
import { readClusterObjects } from './cluster.ts';
import { buildModel } from './inputs.ts';
import { parseCidr, type IpRange } from './ipset.ts';
import type { EgressAllowlist, IpBlockModeOption } from './model.ts';
import {
  cleanupProbes, createProbePod, DEFAULT_PROBE_IMAGE, podLog, probeLifetimeSeconds, probePodRevert, probePodState, probeScript,
} from './probe-pods.ts';
import { inScope, planProbe, type Exposure, type Observation, type ProbePlan, type ProbeRow, type ProbeScope } from './probe-plan.ts';
import { openProbeRun } from './probe-run.ts';
import type { InputObject } from './sources.ts';

export type { Expectation, Observation, ProbePlan, ProbeRow, ProbeScope } from './probe-plan.ts';
export { renderPlan } from './probe-plan.ts';

export interface ProbeOptions {
  allowlist: string | EgressAllowlist;
  context?: string;
  options?: Partial<GauntletOptions>;
  /** An adapter already connected (tests, the scenario step). */
  kube?: Kube;
  ipBlockMode?: IpBlockModeOption;
  podCidrs?: string[];
  /** Required: the namespaces whose workloads are probed, or `'all'` (every namespace not starting with kube-). */
  namespaces: ProbeScope;
  /** Probe image; default `options.probeImage` ($GAUNTLET_PROBE_IMAGE), else the lab's. */
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
  /**
   * The ledger of the run this probe is part of (a scenario step), with that run's id and the step.
   * Without it the probe opens a run directory of its own under `options.reportDir`.
   */
  ledger?: { changes: ChangeLedger; runId: string; step: string };
  /** Plan only: read the cluster, decide the pods and checks, create nothing. */
  dryRun?: boolean;
}

export interface ProbeResult {
  run: string;
  /** The run directory whose journal records the probe pods (absent inside a scenario or a dry run). */
  runDir?: string;
  plan: ProbePlan;
  rows: ProbeRow[];
  mismatches: { row: ProbeRow; finding: string }[];
  /** Workloads not probed, with why (hostNetwork...). */
  skipped: string[];
  /** Unapproved-but-reachable pairs observed: the live counterpart of a violation. */
  unapprovedReachable: number;
  /** Rows whose observation proves nothing either way (refused, no result). */
  inconclusive: number;
  verdictExitCode: typeof ExitCode.Pass | typeof ExitCode.GateFailed;
  /** Probe pods removed through the ledger, plus objects the fallback sweep by label found. */
  cleanedUp: number;
  /** Probe pods that could not be removed (`gauntlet recover` will retry them). */
  unreverted: UnrevertedChange[];
  seconds: number;
}

export async function probePolicies(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const scope = checkScope(opts.namespaces);
  const progress = opts.progress ?? (() => {});
  const o = defaultOptions(undefined, opts.options);
  const kube = opts.kube ?? connect({ ...o, context: opts.context });
  const allowlist = typeof opts.allowlist === 'string' ? await readAllowlist(opts.allowlist) : opts.allowlist;
  const model = buildModel([...(await readClusterObjects(kube.context, opts.options, kube)), ...(opts.extraObjects ?? [])]);
  const podCidrs: IpRange[] = (opts.podCidrs ?? []).map((t) => parseCidr(t)).filter((c) => !!c);
  const analysis = new Analysis(model, allowlist, { mode: opts.ipBlockMode ?? 'unknown', podCidrs, otherNamespaces: false });
  const image = opts.image ?? o.probeImage ?? DEFAULT_PROBE_IMAGE;
  const attempt = opts.attemptSeconds ?? 2;
  const retries = opts.retries ?? 2;
  const settle = opts.settleSeconds ?? 3;
  const run = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const plan = planProbe({
    run, image, scope, lifetimeSeconds: probeLifetimeSeconds(retries, attempt, settle), maxPairs: opts.maxPairs ?? 400,
    model, allowlist, analysis, exposure: await readExposure(kube, scope),
  });
  const result = (rows: ProbeRow[], extra: Partial<ProbeResult> = {}): ProbeResult => {
    const mismatches = rows.filter((r) => r.mismatch).map((row) => ({ row, finding: row.why }));
    const unapprovedReachable = rows.filter((r) => r.observed === 'reachable' && !r.approved).length;
    const inconclusive = rows.filter((r) => r.observed === 'refused' || r.observed === 'no-result').length;
    return {
      run, plan, rows, mismatches, skipped: plan.skipped, unapprovedReachable, inconclusive, verdictExitCode: unapprovedReachable || inconclusive || mismatches.length ? ExitCode.GateFailed : ExitCode.Pass,
      cleanedUp: 0, unreverted: [], seconds: Math.round((Date.now() - started) / 100) / 10, ...extra,
    };
  };
  if (opts.dryRun) return result(plan.rows);
  for (const pod of plan.pods) {
    for (const what of [...pod.disruptionBudgets, ...pod.notReadyServices]) progress(`note: ${what} selects probe pod ${pod.namespace}/${pod.name} while it runs (≤ ${plan.lifetimeSeconds}s)`);
  }

  const own = opts.ledger ? undefined : openProbeRun(kube, o.reportDir, { allowlist: allowlist.file ?? allowlist.name, scope });
  if (own) progress(`probe ${run}: journal in ${own.runDir} (after a crash: gauntlet recover ${own.runDir})`);
  const changes = opts.ledger?.changes ?? own!.changes;
  const runId = opts.ledger?.runId ?? own!.runId;
  const step = opts.ledger?.step ?? 'policies-probe';
  const rows = plan.rows;
  const deadline = started + (opts.timeoutSeconds ?? 120) * 1000;
  const live = new Map<string, { namespace: string; name: string; change: string }>();
  const unreverted: UnrevertedChange[] = [];
  let cleanedUp = 0;
  let failure: unknown;
  const remove = async (key: string) => {
    const p = live.get(key);
    if (!p) return;
    live.delete(key);
    const failed = await changes.revertOne(p.change);
    if (failed) unreverted.push(failed);
    else cleanedUp++;
  };
  try {
    for (const p of plan.pods) {
      if (opts.signal?.aborted) break;
      const { id } = await changes.applyWithId(
        step,
        { description: `create probe pod ${p.namespace}/${p.name} (and its owner ConfigMap) for ${p.workload}`, revert: probePodRevert({ namespace: p.namespace, name: p.name, runId }) },
        () => createProbePod(kube, {
          run, runId, namespace: p.namespace, name: p.name, labels: p.labels, image,
          script: probeScript(p.checks, retries, attempt, settle),
          deadlineSeconds: Math.max(10, Math.min(plan.lifetimeSeconds, Math.ceil((deadline - Date.now()) / 1000))),
        }),
      );
      live.set(`${p.namespace}/${p.name}`, { namespace: p.namespace, name: p.name, change: id });
    }
    progress(`probe ${run}: ${plan.pods.length} probe pod(s), ${rows.length} check(s), image ${image}`);
    const byId = new Map<number, string>();
    // Each pod is read and removed as soon as it has finished: probe pods live as short as they can.
    while (live.size && Date.now() < deadline && !opts.signal?.aborted) {
      for (const [key, p] of [...live]) {
        const state = probePodState(await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: p.namespace, name: p.name }));
        if (state.kind === 'image-pull') {
          throw new InfraError(`probe image ${image} cannot be pulled on node ${state.node} (${state.reason}${state.message ? `: ${state.message}` : ''})`, {
            hint: 'build and publish the probe image (docs/policies.md, "The probe image"), then pass --image REGISTRY/gauntlet-probe:TAG or set GAUNTLET_PROBE_IMAGE',
          });
        }
        if (state.kind !== 'finished') continue;
        for (const line of (await podLog(kube, p.namespace, p.name)).split('\n')) {
          const m = /^RESULT (\d+) (OK|FAIL) ?(.*)$/.exec(line);
          if (m) byId.set(Number(m[1]), `${m[2]} ${m[3]}`);
        }
        await remove(key);
      }
      if (live.size) await sleep(1000, opts.signal);
    }
    rows.forEach((r, i) => judge(r, byId.get(i + 1)));
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    for (const key of [...live.keys()]) await remove(key);
    // Fallback: anything of this run the ledger does not know about (there should be none).
    cleanedUp += await cleanupProbes(kube, run, runId).catch(() => 0);
    if (own) {
      const status = failure ? 'error' : opts.signal?.aborted ? 'interrupted' : 'completed';
      unreverted.push(...(await own.finish(status, failure ? (failure as Error).message : undefined)));
    }
  }
  return result(rows, { runDir: own?.runDir, cleanedUp, unreverted });
}

function checkScope(s: ProbeScope | undefined): ProbeScope {
  if (s === 'all') return s;
  if (!Array.isArray(s) || s.length === 0) {
    throw new UsageError('name the namespaces to probe (-n NS, --namespaces A B) or pass --all-namespaces', {
      hint: 'probe pods wear each workload\'s labels in its namespace; choose where that happens',
    });
  }
  return s;
}

/** Observation and verdict of one row from the probe's output line. */
export function judge(r: ProbeRow, out: string | undefined): void {
  r.detail = out ?? '';
  r.observed = out === undefined ? 'no-result' : observe(out);
  const exp = r.expected;
  r.mismatch = (r.observed === 'reachable' && exp === 'blocked') || (r.observed === 'blocked' && exp === 'allowed');
  const what = `${r.workload} -> ${r.destination} ${r.kind}/${r.port}`;
  r.why =
    r.observed === 'no-result' ? `no result: the probe pod did not report in time (${what})`
    : r.observed === 'refused' ? `reached, refused: ${what} got a refusal, so the packet reached the destination (nothing listening) or an enforcer that rejects; that proves neither that the policy blocked it nor that it allowed it`
    : exp === 'depends-on-mode' ? `depends on --ip-block-mode: ${what} was ${r.observed}, which tells how your CNI treats ipBlocks on pod IPs`
    : !r.mismatch ? `${r.observed}${rejectedBy(r.detail)} as the analysis expects`
    : r.observed === 'reachable' ? `analysis says blocked, traffic passed: ${what} (the CNI is not enforcing this policy)`
    : `analysis says allowed, traffic blocked${rejectedBy(r.detail)}: ${what} (something besides these policies drops it: another enforcer, a firewall, or the destination is down)`;
}

/** ` (rejected on the path by ADDR)` when the probe named who refused the packet on its way, else ''. */
function rejectedBy(detail: string): string {
  const m = /rejected on the path: ICMP unreachable from (\S+),/.exec(detail);
  return m ? ` (rejected on the path by ${m[1]})` : '';
}

/**
 * What one probe output says about the path. OK, or evidence that packets went both ways (a TCP
 * failure after the connection was made: read timeout, reset, EOF), means reachable. A refusal
 * (TCP RST, or ICMP port-unreachable for UDP) is its own outcome, unless the probe saw that the
 * ICMP error came from an address other than the destination ("rejected on the path"): then the
 * destination never got the packet, an enforcer that rejects instead of dropping (kube-router, k3s)
 * stopped it, which is blocked. A UDP read timeout is no evidence of an open path: a dropped
 * datagram and an unanswered one look the same, and the lab's world hosts always answer.
 */
export function observe(out: string): Observation {
  if (out.startsWith('OK')) return 'reachable';
  if (/rejected on the path/.test(out)) return 'blocked';
  if (/connection refused/.test(out)) return 'refused';
  if (/dial/.test(out)) return 'blocked';
  return /\b(read|write) tcp\b.*(timeout|reset)|\bEOF\b|status=/.test(out) ? 'reachable' : 'blocked';
}

/** PodDisruptionBudgets and Services in the probed namespaces, for the plan. */
async function readExposure(kube: Kube, scope: ProbeScope): Promise<Exposure> {
  const out: Exposure = { disruptionBudgets: [], services: [], notes: [] };
  const namespaces = scope === 'all' ? [undefined] : scope;
  const read = async <T>(apiVersion: string, kind: string, take: (items: T[]) => void) => {
    try {
      for (const namespace of namespaces) take((await kube.list<any>({ apiVersion, kind, namespace })).items as T[]);
    } catch (e) {
      out.notes.push(`could not list ${kind}s (${(e as Error).message.split('\n')[0]}): which of them select the probe pods is unknown`);
    }
  };
  type Pdb = { metadata?: { namespace?: string; name?: string }; spec?: { selector?: Exposure['disruptionBudgets'][number]['selector'] } };
  type Svc = { metadata?: { namespace?: string; name?: string }; spec?: { selector?: Record<string, string>; publishNotReadyAddresses?: boolean } };
  await read<Pdb>('policy/v1', 'PodDisruptionBudget', (items) => {
    for (const b of items) if (inScope(scope, b.metadata?.namespace ?? '')) out.disruptionBudgets.push({ namespace: b.metadata?.namespace ?? '', name: b.metadata?.name ?? '', selector: b.spec?.selector });
  });
  await read<Svc>('v1', 'Service', (items) => {
    for (const s of items) {
      if (s.spec?.publishNotReadyAddresses && inScope(scope, s.metadata?.namespace ?? '')) {
        out.services.push({ namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', selector: s.spec.selector, publishNotReadyAddresses: true });
      }
    }
  });
  return out;
}

export function renderProbe(r: ProbeResult): string {
  const lines = [
    `probe run ${r.run}: ${r.rows.length} check(s) in ${r.seconds}s, ${r.mismatches.length} mismatch(es), ${r.inconclusive} inconclusive, ${r.cleanedUp} probe pod(s) removed`,
    ...(r.runDir ? [`journal: ${r.runDir}`] : []),
    '',
  ];
  const w = (s: string, n: number) => s.padEnd(n);
  lines.push(`${w('WORKLOAD', 32)} ${w('DESTINATION', 40)} ${w('CHECK', 10)} ${w('EXPECTED', 16)} ${w('APPROVED', 9)} ${w('OBSERVED', 10)} WHY`);
  for (const row of r.rows) {
    const flag = row.mismatch ? 'MISMATCH: ' : row.observed === 'refused' || row.observed === 'no-result' ? 'INCONCLUSIVE: ' : '';
    lines.push(`${w(row.workload, 32)} ${w(row.destination, 40)} ${w(`${row.kind}/${row.port}`, 10)} ${w(row.expected, 16)} ${w(row.approved ? 'yes' : 'NO', 9)} ${w(row.observed, 10)} ${flag}${row.why}`);
  }
  if (r.mismatches.length) lines.push('', 'findings:', ...r.mismatches.map((m) => `  ${m.finding}`));
  for (const p of r.plan.pods) for (const x of [...p.disruptionBudgets, ...p.notReadyServices]) lines.push(`note: ${x} selected probe pod ${p.namespace}/${p.name} while it ran`);
  for (const s of r.skipped) lines.push(`not probed: ${s}`);
  for (const u of r.unreverted) lines.push(`NOT REMOVED: ${u.description} (${u.error}); run gauntlet recover ${r.runDir ?? '<run-dir>'}`);
  return lines.join('\n') + '\n';
}

/**
 * The fallback for probe objects no journal accounts for: remove every probe pod and ConfigMap that
 * carries Gauntlet's run-id mark, anywhere (or only `runId`'s). Unmarked objects are left alone.
 */
export async function recoverProbes(opts: { context?: string; options?: Partial<GauntletOptions>; kube?: Kube; runId?: string }): Promise<number> {
  const kube = opts.kube ?? connect({ ...defaultOptions(undefined, opts.options), context: opts.context });
  return cleanupProbes(kube, undefined, opts.runId);
}
