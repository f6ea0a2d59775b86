#!/usr/bin/env node
/**
 * The CLI: parses flags, lazily imports the command, maps errors to exit codes. Nothing else.
 * Every command is a library function taking an options object (see the modules it imports).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, InputError } from '../core/errors.ts';
import { toolVersion } from '../core/version.ts';
import { commands } from './commands/index.ts';
import { errorDocument, nearest, ParseError, toGauntletError } from './errors.ts';

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
  const json = wantsJson(argv);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const parser = yargs(normalizeArgv(argv))
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
    .version(toolVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new ParseError(didYouMean(msg, parser as never));
    });
  for (const c of commands) {
    parser.command(c.command, c.describe, c.builder, async (args) => {
      code = await c.handler(args as never);
    });
  }
  parser.completion('completion', 'print a shell completion script (bash, zsh): gauntlet completion >> ~/.bashrc');
  skipHelpCache(parser);
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    return report(e, { noColor, json, verbose });
  }
}

/**
 * yargs renders the whole `--help` text each time it runs a command's handler, to cache it for a
 * later `showHelp()` that this CLI never makes (failures go to the `.fail` handler above, which
 * throws): 40-60 ms of text wrapping and width measuring on every command, more than a small
 * `policies check` itself. `--help` and usage errors still render it when they need it.
 */
function skipHelpCache(parser: unknown): void {
  const usage = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** `-o json`, `-ojson`, `--output json`, `--output=json` anywhere on the line. */
function wantsJson(argv: string[]): boolean {
  return argv.some((a, i) => a === '-ojson' || a === '--output=json' || a === '-o=json' || ((a === '-o' || a === '--output') && argv[i + 1] === 'json'));
}

/** `--manifests -` means stdin; yargs would read the lone `-` as an unknown positional. */
function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-' && i > 0 && /^--?[a-z]/.test(argv[i - 1]!) && !argv[i - 1]!.includes('=')) out[out.length - 1] = `${argv[i - 1]}=-`;
    else out.push(argv[i]!);
  }
  return out;
}

/** "Unknown argument: intervall" gains "did you mean --interval?" from the command's own flags. */
function didYouMean(msg: string, y: { getOptions(): { key: Record<string, unknown> } } | undefined): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m || !y) return msg;
  const known = Object.keys(y.getOptions().key).filter((k) => !/[A-Z]/.test(k) && k !== '$0' && k !== '_');
  const hints = m[1]!
    .split(', ')
    .map((w) => [w, nearest(w.replace(/^-+/, ''), known)] as const)
    .filter(([, n]) => n)
    .map(([w, n]) => `${w}: did you mean --${n}?`);
  if (hints.length === 1 && !m[1]!.includes(', ')) return `${msg} (${hints[0]!.replace(/^.*?: /, '')})`;
  return hints.length ? `${msg} (${hints.join('; ')})` : msg;
}

function argv0IsKubectl(): boolean {
  return /kubectl-gauntlet/.test(process.argv[1] ?? '');
}

function report(e: unknown, o: { noColor: boolean; json: boolean; verbose: boolean }): number {
  const red = (s: string) => (o.noColor || !process.stderr.isTTY ? s : `\x1b[31m${s}\x1b[39m`);
  const g = toGauntletError(e);
  const code = g?.exitCode ?? ExitCode.Infra;
  if (o.json) process.stdout.write(`${JSON.stringify(errorDocument(g, e, code), null, 2)}\n`);
  if (g) {
    const head = g instanceof InputError ? 'invalid input' : 'error';
    process.stderr.write(`${red(`${head}:`)} ${g.message}\n`);
    if (g.hint) process.stderr.write(`hint: ${g.hint}\n`);
    else if (g instanceof ParseError) process.stderr.write('Run with --help for usage.\n');
    if (o.verbose && (e as Error)?.stack) process.stderr.write(`${(e as Error).stack}\n`);
    return code;
  }
  // A genuine bug: one line, the stack only with --verbose.
  process.stderr.write(`${red('internal error:')} ${(e as Error)?.message ?? String(e)}\n`);
  process.stderr.write(o.verbose ? `${(e as Error)?.stack ?? ''}\n` : 'hint: rerun with --verbose for the stack trace, and report it as a bug\n');
  return code;
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
