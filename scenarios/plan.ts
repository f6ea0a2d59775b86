/** The dry run: what would be done, to what, and when. Changes nothing (it may read the cluster to name targets). */
import { formatDuration } from '../core/duration.ts';
import { describeSelection, describeThreshold } from '../core/gates.ts';
import type { GauntletOptions } from '../core/options.ts';
import type { Scenario } from '../core/scenario.ts';
import { stepKind } from '../core/steps.ts';
import { occurrences } from './runner.ts';

export interface PlanStep {
  id: string;
  kind: string;
  section: string;
  /** Occurrence windows, ms on the run clock. */
  windows: Array<[number, number]>;
  actions: string[];
  changesCluster: boolean;
  /** What the step would hit in the cluster now (resolveTargets), or why that is unknown. */
  targets?: string[];
}

export interface Plan {
  scenario: string;
  file: string;
  target: Scenario['target'] & { context?: string; namespace?: string };
  /** The scenario's variables as resolved (`--set` over `vars:` defaults). */
  vars?: Scenario['vars'];
  durationMs: number;
  seed: number;
  steps: PlanStep[];
  gates: string[];
}

export function planScenario(s: Scenario, o: Pick<GauntletOptions, 'context' | 'namespace'>): Plan {
  return {
    scenario: s.name,
    file: s.file,
    target: { ...s.target, context: s.target.context ?? o.context, namespace: s.target.namespace ?? o.namespace },
    durationMs: s.duration,
    seed: s.seed,
    ...(s.vars ? { vars: s.vars } : {}),
    steps: s.steps.map((st) => ({
      id: st.id,
      kind: st.kind,
      section: st.section,
      windows: occurrences(st, s.duration),
      actions: stepKind(st.kind)!.plan(st, s),
      changesCluster: st.section === 'faults' || st.section === 'release',
    })),
    gates: s.gates.map((g) => `${g.name}: ${g.metric}${describeSelection(g)} ${describeThreshold(g)}${g.abortOnFail ? ' (aborts the run)' : ''}`),
  };
}

/**
 * Resolve, read-only, what each fault would hit now (nodes, pods, PDB effect), for steps whose
 * kind can say. A selection the run would refuse (over its blast-radius cap) says so here.
 */
export async function resolveTargets(p: Plan, s: Scenario, o: GauntletOptions): Promise<{ refused: number }> {
  const steps = s.steps.filter((st) => stepKind(st.kind)?.targets);
  if (!steps.length) return { refused: 0 };
  let kube: import('../core/kube.ts').Kube;
  try {
    const { connect } = await import('../core/kube.ts');
    kube = connect({ ...o, context: s.target.context ?? o.context });
    await kube.serverVersion();
  } catch (e) {
    for (const st of steps) p.steps.find((x) => x.id === st.id)!.targets = [`(cluster not reached, targets resolved when the run acts: ${(e as Error).message})`];
    return { refused: 0 };
  }
  let refused = 0;
  for (const st of steps) {
    const lines = await stepKind(st.kind)!.targets!(st, s, kube).catch((e: Error) => {
      refused++;
      return [`WOULD REFUSE: ${e.message}`];
    });
    p.steps.find((x) => x.id === st.id)!.targets = lines;
  }
  return { refused };
}

export function formatPlan(p: Plan, color: boolean): string {
  const b = (x: string) => (color ? `\x1b[1m${x}\x1b[22m` : x);
  const lines = [
    b(`plan for ${p.scenario}`) + ` (${p.file}), up to ${formatDuration(p.durationMs)}, seed ${p.seed}`,
    ...(p.vars ? [`vars: ${Object.entries(p.vars).map(([k, v]) => `${k}=${v}`).join(' ')} (--set name=value to change)`] : []),
    `target: ${[p.target.context && `context ${p.target.context}`, p.target.namespace && `namespace ${p.target.namespace}`, p.target.workload && `${p.target.workload.kind}/${p.target.workload.name}`, p.target.url].filter(Boolean).join(', ') || '(none)'}`,
    '',
  ];
  for (const st of p.steps) {
    const w = st.windows.map(([a, z]) => `${formatDuration(a)}–${formatDuration(z)}`);
    lines.push(`${b(st.id)} [${st.section}/${st.kind}] ${w.slice(0, 4).join(', ')}${w.length > 4 ? ` … (${w.length} times)` : ''}`);
    for (const a of st.actions) lines.push(`  ${a}`);
    if (st.targets) lines.push('  would hit now:', ...st.targets.map((t) => `    ${t}`));
    if (st.changesCluster) lines.push('  (changes are journaled first and reverted at the end, on Ctrl-C, or by `gauntlet recover`)');
  }
  lines.push('', b('gates'), ...(p.gates.length ? p.gates.map((g) => `  ${g}`) : ['  (none: a run that judges nothing is inconclusive, exit 1; a k6 script\'s thresholds, if any, become gates when the run starts)']));
  lines.push('', 'dry run: nothing was changed.');
  return lines.join('\n');
}
