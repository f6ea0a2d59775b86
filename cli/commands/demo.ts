/**
 * `gauntlet demo`: the full drill on the local lab, for an installed Gauntlet as `npm start` is for
 * a checkout. Brings the lab up if it is not (idempotent; its binaries must be built or cached),
 * runs the shipped game-day scenario against it, and prints where the HTML report is.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { optionsFromArgs } from '../context.ts';
import { runCommand, type ScenarioArgs } from './scenario.ts';

/** The shipped scenarios, from source (cli/commands/) or from the build (dist/cli/commands/). */
export function shippedScenario(name: string, from = import.meta.url): string {
  for (const rel of ['../../scenarios/', '../../../scenarios/']) {
    const f = fileURLToPath(new URL(`${rel}${name}`, from));
    if (existsSync(f)) return f;
  }
  return fileURLToPath(new URL(`../../scenarios/${name}`, from));
}

export const demo = defineCommand<Omit<ScenarioArgs, 'scenario'> & { scenario?: string; labUp: boolean }>({
  command: 'demo',
  describe: 'the full drill on the local lab: lab up if needed, run scenarios/game-day.yaml, print where the HTML report is',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', describe: 'another shipped scenario or file (default: the game day)' })
      .option('seed', { type: 'number', describe: 'random seed (recorded in the report)' })
      .option('set', { type: 'string', array: true, describe: 'override a variable of the scenario (name=value, repeatable), e.g. errorRate=0.2 to drill a rollback' })
      .option('lab-up', { type: 'boolean', default: true, describe: 'start the lab when it is not up (--no-lab-up: fail instead, exit 3)' })
      .example('$0 demo', 'a canary release under a 200 % surge, a spot interruption mid-release, an egress audit; report at the end')
      .example('$0 demo --set errorRate=0.2', 'the same drill with a bad release: it must be rolled back within its gate')
      .example('$0 demo --scenario spot-storm.yaml', 'another shipped scenario on the lab')
      .epilogue('Exit codes: 0 the drill passed every gate; 1 a gate failed or the run was inconclusive; 2 bad input (--set, --scenario); 3 the lab could not be brought up or reached, or a tool is missing; 4 a revert failed (gauntlet recover <run-dir>); 130 interrupted, after reverting.'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const lab = await import('../../lab/index.ts');
    // The game day's addresses are the local lab's (ClusterIPs in 10.79.0.0/16): always that lab.
    const status = await lab.labStatus({ provider: 'local' });
    if (status.phase !== 'up') {
      if (!a.labUp) {
        const { InfraError } = await import('../../core/errors.ts');
        throw new InfraError(`the lab is not up (phase ${status.phase})`, { hint: 'run `gauntlet lab up`, or drop --no-lab-up' });
      }
      o.progress('demo: the lab is not up; starting it (gauntlet lab up)');
      await lab.labUp({ provider: 'local', log: (l) => o.progress(`lab: ${l}`) });
    }
    const file = a.scenario ? (existsSync(a.scenario) ? a.scenario : shippedScenario(a.scenario)) : shippedScenario('game-day.yaml');
    o.progress(`demo: running ${file} on the lab (context gauntlet-lab); progress below, the verdict and the report at the end`);
    const r = await runCommand({ ...a, scenario: file, kubeconfig: a.kubeconfig ?? lab.labPaths().kubeconfig });
    const html = r.reportFiles.find((f) => f.endsWith('.html'));
    // stderr: stdout stays the run document (-o json) or the summary.
    process.stderr.write(`\nHTML report: ${html ?? `${r.runDir}/report.html (not written: see above)`}\nrun directory: ${r.runDir} (gauntlet report ${r.runDir} --format md)\n`);
    return r.exitCode ?? ExitCode.Pass;
  },
});
