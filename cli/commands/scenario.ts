/** validate, plan and run: the scenario commands. */
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';
import type { GauntletOptions } from '../../core/options.ts';
import type { Scenario } from '../../core/scenario.ts';

/**
 * Flags win over the file: `--context` / `-n` replace target.context / target.namespace (said on
 * stderr when they differ). A context that is named (by flag, or by a scenario that needs a
 * cluster) must exist in the kubeconfig: exit 2 naming the contexts it has, before anything runs.
 */
async function targetScenario(s: Scenario, o: GauntletOptions, mode: 'plan' | 'run'): Promise<Scenario> {
  const target = { ...s.target };
  for (const [key, flag] of [['context', o.context], ['namespace', o.namespace]] as const) {
    if (flag === undefined) continue;
    if (target[key] !== undefined && target[key] !== flag) o.progress(`--${key} ${flag} overrides the scenario's target.${key} (${target[key]})`);
    target[key] = flag;
  }
  const { stepKind } = await import('../../core/steps.ts');
  const needsCluster = s.steps.some((st) => stepKind(st.kind)?.needsCluster);
  // plan checks only a context the user named on the line: it can show a lab scenario without the lab.
  if (o.context !== undefined || (mode === 'run' && needsCluster && target.context !== undefined)) {
    const { resolveKubeTarget } = await import('../../core/kube.ts');
    resolveKubeTarget({ ...o, context: target.context });
  }
  return { ...s, target };
}

export interface ScenarioArgs {
  scenario: string;
  seed?: number;
  set?: string[];
}

const scenarioArg = (y: import('yargs').Argv) =>
  y
    .positional('scenario', { type: 'string', describe: 'scenario file (.ts, .yaml, .json)', demandOption: true })
    .option('seed', { type: 'number', describe: 'random seed (recorded in the report)' })
    .option('set', { type: 'string', array: true, describe: 'override a variable the scenario declares under vars: (name=value, repeatable)' });

export const validate = defineCommand<ScenarioArgs>({
  command: 'validate <scenario>',
  describe: 'check a scenario file without touching any cluster',
  builder: (y) => scenarioArg(y).example('$0 validate scenarios/probe.yaml', 'exit 0 when valid, 2 with file:line:column otherwise'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { loadScenario } = await import('../../scenarios/load.ts');
    const { validateDoc, invalidDoc } = await import('../documents.ts');
    const { InputError } = await import('../../core/errors.ts');
    let s: Scenario;
    try {
      s = await loadScenario(a.scenario, { seed: a.seed, set: a.set });
    } catch (e) {
      // -o json: the issues as the validate document (the error goes to stderr as always).
      if (e instanceof InputError && o.output === 'json') {
        emit(o, invalidDoc(a.scenario, e.issues), () => '');
        process.stderr.write(`invalid input: ${e.message}\n`);
        return e.exitCode;
      }
      throw e;
    }
    const { sloText } = await import('../../core/budget.ts');
    emit(o, validateDoc(a.scenario, s), () => `${a.scenario}: valid (${s.steps.length} step(s), ${s.gates.length} gate(s)${s.slo ? `; ${sloText(s.slo)}` : ''})`);
    return ExitCode.Pass;
  },
});

export const plan = defineCommand<ScenarioArgs>({
  command: 'plan <scenario>',
  describe: 'dry run: print what would be done, to what, and when',
  builder: (y) => scenarioArg(y).example('$0 plan scenarios/probe.yaml -o json', 'the plan as JSON'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { loadScenario } = await import('../../scenarios/load.ts');
    const { planScenario, formatPlan } = await import('../../scenarios/plan.ts');
    const { planDoc } = await import('../documents.ts');
    const s = await targetScenario(await loadScenario(a.scenario, { seed: a.seed, set: a.set }), o, 'plan');
    const p = planScenario(s, o);
    const { refused } = await (await import('../../scenarios/plan.ts')).resolveTargets(p, s, o);
    emit(o, planDoc(p, s), () => formatPlan(p, o.color));
    // A fault that would refuse (over its blast-radius cap, nothing to hit) is bad input: exit 2.
    return refused ? ExitCode.Usage : ExitCode.Pass;
  },
});

export const run = defineCommand<ScenarioArgs & { dryRun?: boolean; bundle?: string }>({
  command: 'run <scenario>',
  describe: 'run a scenario: progress on stderr, run directory with reports, exit with the verdict',
  builder: (y) =>
    scenarioArg(y)
      .option('dry-run', { type: 'boolean', describe: 'same as `plan`: show the plan, change nothing' })
      .option('bundle', { type: 'string', describe: 'after the run, write its evidence bundle (default: <run-dir>/evidence-<run-id>.tar.gz); gauntlet verify checks it' })
      .example('$0 run scenarios/probe.yaml', 'probe a local service and gate on error rate and latency')
      .example('$0 run canary.ts --context prod-eu -n chat -o json', 'machine-readable summary on stdout')
      .example('$0 run scenarios/surge-200.yaml --set baseline=50 --set hold=30s', 'override the variables the scenario declares'),
  async handler(a) {
    if (a.dryRun) return plan.handler(a);
    return (await runCommand(a)).exitCode;
  },
});

/** `run` without the dry-run path: shared with `demo`, which also needs the run directory. */
export async function runCommand(a: ScenarioArgs & import('../context.ts').GlobalArgs & { bundle?: string }): Promise<{ exitCode: number; runDir: string; reportFiles: string[] }> {
  const o = optionsFromArgs(a);
  const { loadScenario } = await import('../../scenarios/load.ts');
  const { runScenario } = await import('../../scenarios/runner.ts');
  const { summarizeAsync } = await import('./summary.ts');
  const { runDoc } = await import('../documents.ts');
  const s = await targetScenario(await loadScenario(a.scenario, { seed: a.seed, set: a.set }), o, 'run');
  const interrupt = onInterrupt();
  try {
    const r = await runScenario({ scenario: s, options: o, signal: interrupt.signal });
    // The bundle is evidence of whatever happened, so it is written whatever the verdict.
    const bundle = a.bundle === undefined ? undefined : await (await import('../../reports/bundle.ts')).writeBundle(r.runDir, { ...(a.bundle ? { out: a.bundle } : {}) });
    const text = o.output === 'json' ? '' : `${await summarizeAsync(r, o.color)}${bundle ? `\nevidence bundle: ${bundle.path} (sha256 ${bundle.sha256})` : ''}`;
    emit(o, { ...runDoc(r, s.gates), ...(bundle ? { bundle: { path: bundle.path, sha256: bundle.sha256, bytes: bundle.bytes } } : {}) }, () => text);
    if (o.env.GITHUB_ACTIONS === 'true') {
      // Failed gates as annotations on the workflow run's page (workflow commands on stderr).
      const { buildReport, githubAnnotations } = await import('../../reports/index.ts');
      for (const line of githubAnnotations(buildReport(r.events))) process.stderr.write(`${line}\n`);
    }
    return { exitCode: r.exitCode, runDir: r.runDir, reportFiles: r.reportFiles };
  } finally {
    interrupt.done();
  }
}
