/**
 * `gauntlet demo`: the full drill on the local lab, for an installed Gauntlet as `npm start` is for
 * a checkout. Brings the lab up if it is not (idempotent; its binaries must be built or cached),
 * runs the shipped game-day scenario against it, and prints where the HTML report is.
 * `--provider kind` runs it on the kind lab instead, with that lab's addresses for the scenario's
 * `ip`, `allowed` and `denied` variables (unless --set gives them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ExitCode } from '../../core/errors.ts';
import { formatIp, parseCidr } from '../../policies/ipset.ts';
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

/**
 * The kind lab's addresses for the variables a shipped scenario declares (the defaults are the
 * local lab's): the Service address in its Service range, its outside hosts. --set wins.
 */
export function kindSets(declared: readonly string[], sets: readonly string[], lab: { serviceCidr: string; world: ReadonlyArray<{ name: string; ip: string }> }): string[] {
  const given = new Set(sets.map((s) => s.split('=')[0]));
  const want: Record<string, string> = { ip: serviceAddress(lab.serviceCidr, 80), ...Object.fromEntries(lab.world.map((w) => [w.name, w.ip])) };
  return Object.entries(want).filter(([k]) => declared.includes(k) && !given.has(k)).map(([k, v]) => `${k}=${v}`);
}

/** The `offset`-th address of a Service range (`10.96.0.0/12`, 80 -> `10.96.0.80`), whatever its prefix length. */
export function serviceAddress(cidr: string, offset: number): string {
  const c = parseCidr(cidr);
  if (!c || c.lo + BigInt(offset) > c.hi) throw new Error(`no address ${offset} in Service range "${cidr}"`);
  return formatIp(c.family, c.lo + BigInt(offset));
}

export const demo = defineCommand<Omit<ScenarioArgs, 'scenario'> & { scenario?: string; labUp: boolean; provider: 'local' | 'kind' }>({
  command: 'demo',
  describe: 'the full drill on the local lab: lab up if needed, run scenarios/game-day.yaml, print where the HTML report is',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', describe: 'another shipped scenario or file (default: the game day)' })
      .option('seed', { type: 'number', describe: 'random seed (recorded in the report)' })
      .option('set', { type: 'string', array: true, describe: 'override a variable of the scenario (name=value, repeatable), e.g. errorRate=0.2 to drill a rollback' })
      .option('lab-up', { type: 'boolean', default: true, describe: 'start the lab when it is not up (--no-lab-up: fail instead, exit 3)' })
      .option('provider', { choices: ['local', 'kind'] as const, default: 'local' as const, describe: 'the lab to run on (kind: the scenario gets the kind lab\'s addresses)' })
      .example('$0 demo', 'a canary release under a 200 % surge, a spot interruption mid-release, an egress audit; report at the end')
      .example('$0 demo --set errorRate=0.2', 'the same drill with a bad release: it must be rolled back within its gate')
      .example('$0 demo --scenario spot-storm.yaml', 'another shipped scenario on the lab')
      .epilogue('Exit codes: 0 the drill passed every gate; 1 a gate failed or the run was inconclusive; 2 bad input (--set, --scenario); 3 the lab could not be brought up or reached, or a tool is missing; 4 a revert failed (gauntlet recover <run-dir>); 130 interrupted, after reverting.'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const lab = await import('../../lab/index.ts');
    // The game day's defaults are the local lab's addresses (ClusterIPs in 10.79.0.0/16): that lab
    // unless --provider kind says otherwise (never the auto-detected one).
    const provider = a.provider ?? 'local';
    const status = await lab.labStatus({ provider });
    const flag = provider === 'kind' ? ' --provider kind' : '';
    if (status.phase !== 'up') {
      if (!a.labUp) {
        const { InfraError } = await import('../../core/errors.ts');
        throw new InfraError(`the lab is not up (phase ${status.phase})`, { hint: `run \`gauntlet lab up${flag}\`, or drop --no-lab-up` });
      }
      o.progress(`demo: the lab is not up; starting it (gauntlet lab up${flag})`);
      await lab.labUp({ provider, log: (l) => o.progress(`lab: ${l}`) });
    }
    const file = a.scenario ? (existsSync(a.scenario) ? a.scenario : shippedScenario(a.scenario)) : shippedScenario('game-day.yaml');
    let set = a.set;
    let kubeconfig = a.kubeconfig ?? lab.labPaths().kubeconfig;
    if (provider === 'kind') {
      const { KIND, KIND_WORLD_HOSTS, kindPaths } = await import('../../lab/providers/kind/config.ts');
      kubeconfig = a.kubeconfig ?? kindPaths(lab.labPaths()).kubeconfig;
      let declared: string[] = [];
      try {
        declared = Object.keys((parse(readFileSync(file, 'utf8')) as { vars?: Record<string, unknown> })?.vars ?? {});
      } catch {
        // An unreadable scenario is reported by the run itself.
      }
      set = [...kindSets(declared, a.set ?? [], { serviceCidr: KIND.serviceCidr, world: KIND_WORLD_HOSTS }), ...(a.set ?? [])];
    }
    o.progress(`demo: running ${file} on the ${provider} lab (context gauntlet-lab); progress below, the verdict and the report at the end`);
    const r = await runCommand({ ...a, ...(set ? { set } : {}), scenario: file, kubeconfig });
    const html = r.reportFiles.find((f) => f.endsWith('.html'));
    // stderr: stdout stays the run document (-o json) or the summary.
    process.stderr.write(`\nHTML report: ${html ?? `${r.runDir}/report.html (not written: see above)`}\nrun directory: ${r.runDir} (gauntlet report ${r.runDir} --format md)\n`);
    return r.exitCode ?? ExitCode.Pass;
  },
});
