/** validate, plan and run: the scenario commands. */
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';

interface ScenarioArgs {
  scenario: string;
  seed?: number;
}

const scenarioArg = (y: import('yargs').Argv) =>
  y
    .positional('scenario', { type: 'string', describe: 'scenario file (.ts, .yaml, .json)', demandOption: true })
    .option('seed', { type: 'number', describe: 'random seed (recorded in the report)' });

export const validate = defineCommand<ScenarioArgs>({
  command: 'validate <scenario>',
  describe: 'check a scenario file without touching any cluster',
  builder: (y) => scenarioArg(y).example('$0 validate scenarios/probe.yaml', 'exit 0 when valid, 2 with file:line:column otherwise'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { loadScenario } = await import('../../scenarios/load.ts');
    const s = await loadScenario(a.scenario, { seed: a.seed });
    emit(o, { valid: true, name: s.name, steps: s.steps.map((x) => ({ id: x.id, kind: x.kind, section: x.section })), gates: s.gates.length }, () =>
      `${a.scenario}: valid (${s.steps.length} step(s), ${s.gates.length} gate(s))`,
    );
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
    const s = await loadScenario(a.scenario, { seed: a.seed });
    const p = planScenario(s, o);
    emit(o, p, () => formatPlan(p, o.color));
    return ExitCode.Pass;
  },
});

export const run = defineCommand<ScenarioArgs & { dryRun?: boolean }>({
  command: 'run <scenario>',
  describe: 'run a scenario: progress on stderr, run directory with reports, exit with the verdict',
  builder: (y) =>
    scenarioArg(y)
      .option('dry-run', { type: 'boolean', describe: 'same as `plan`: show the plan, change nothing' })
      .example('$0 run scenarios/probe.yaml', 'probe a local service and gate on error rate and latency')
      .example('$0 run canary.ts --context prod-eu -n chat -o json', 'machine-readable summary on stdout'),
  async handler(a) {
    if (a.dryRun) return plan.handler(a);
    const o = optionsFromArgs(a);
    const { loadScenario } = await import('../../scenarios/load.ts');
    const { runScenario } = await import('../../scenarios/runner.ts');
    const { summarizeAsync } = await import('./summary.ts');
    const s = await loadScenario(a.scenario, { seed: a.seed });
    const interrupt = onInterrupt();
    try {
      const r = await runScenario({ scenario: s, options: o, signal: interrupt.signal });
      const text = o.output === 'json' ? '' : await summarizeAsync(r, o.color);
      emit(o, { runId: r.runId, runDir: r.runDir, status: r.status, verdict: r.verdict, exitCode: r.exitCode, unreverted: r.unreverted, reports: r.reportFiles }, () => text);
      return r.exitCode;
    } finally {
      interrupt.done();
    }
  },
});
