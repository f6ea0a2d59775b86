#!/usr/bin/env node
/**
 * The CLI: parses flags, lazily imports the command, maps errors to exit codes. Nothing else.
 * Every command is a library function taking an options object (see the modules it imports).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, exitCodeOf, isGauntletError, InputError } from '../core/errors.ts';
import { commands } from './commands/index.ts';

const EXIT_CODES = `Exit codes:
  0    pass: every gate passed on real measurements
  1    a gate failed, or the run was inconclusive (nothing measured, no data for a gate)
  2    usage or input error (nothing was done)
  3    infrastructure error (cluster unreachable, RBAC, a tool missing)
  4    revert failed: the cluster may still carry changes (listed)
  130  interrupted (after reverting)`;

export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.Pass;
  const noColor = argv.includes('--no-color') || (process.env.NO_COLOR ?? '') !== '';
  const parser = yargs(argv)
    .scriptName(process.env.KUBECTL_PLUGINS_CALLER || argv0IsKubectl() ? 'kubectl gauntlet' : 'gauntlet')
    .usage('$0 <command> [options]\n\nPut a release through the gauntlet: canaries under load, faults, egress policy proofs, with numbers.')
    .option('kubeconfig', { type: 'string', describe: 'path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)', global: true })
    .option('context', { type: 'string', describe: 'kubeconfig context to use', global: true })
    .option('namespace', { alias: 'n', type: 'string', describe: 'namespace (default: the context\'s)', global: true })
    .option('output', { alias: 'o', choices: ['text', 'json'], default: 'text', describe: 'output format on stdout', global: true })
    .option('report-dir', { type: 'string', describe: 'where run directories go (default: ./runs)', global: true })
    .option('color', { type: 'boolean', describe: 'colour output (--no-color, NO_COLOR and non-TTY turn it off)', global: true })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'more detail on stderr', global: true })
    .option('k6', { type: 'string', describe: 'the k6 binary to run (default: $GAUNTLET_K6, then the Gauntlet cache, then PATH)', global: true })
    .epilogue(EXIT_CODES)
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageUsage(msg);
    });
  for (const c of commands) {
    parser.command(c.command, c.describe, c.builder, async (args) => {
      code = await c.handler(args as never);
    });
  }
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    return report(e, noColor);
  }
}

class UsageUsage extends Error {}

function argv0IsKubectl(): boolean {
  return /kubectl-gauntlet/.test(process.argv[1] ?? '');
}

function report(e: unknown, noColor: boolean): number {
  const red = (s: string) => (noColor || !process.stderr.isTTY ? s : `\x1b[31m${s}\x1b[39m`);
  if (e instanceof UsageUsage) {
    process.stderr.write(`${red('error:')} ${e.message}\nRun with --help for usage.\n`);
    return ExitCode.Usage;
  }
  if (isGauntletError(e)) {
    const head = e instanceof InputError ? 'invalid input' : 'error';
    process.stderr.write(`${red(`${head}:`)} ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    return e.exitCode;
  }
  process.stderr.write(`${red('internal error:')} ${(e as Error)?.stack ?? String(e)}\n`);
  return exitCodeOf(e);
}

main(hideBin(process.argv)).then(
  (c) => {
    process.exitCode = c;
  },
  (e) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = ExitCode.Infra;
  },
);
