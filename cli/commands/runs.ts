/** report and recover: commands that work from a run directory's journal alone. */
import { ExitCode } from '../../core/errors.ts';
import { join } from 'node:path';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';

const FORMATS = ['html', 'md', 'junit', 'json', 'text', 'github'] as const;

interface ReportArgs {
  runDir: string;
  runDirB?: string;
  format?: (typeof FORMATS)[number];
  out?: string;
  bundle?: string;
  compare?: boolean;
}

export const report = defineCommand<ReportArgs>({
  command: 'report <run-dir> [run-dir-b]',
  describe: 'rebuild a report from the run journal alone; --bundle: the evidence archive; --compare: two runs side by side',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', demandOption: true, describe: 'a run directory (holds journal.ndjson)' })
      .positional('run-dir-b', { type: 'string', describe: 'with --compare: the second run (B, the new release)' })
      .option('format', { alias: 'f', choices: FORMATS, describe: 'report format (default: md; json with -o json); with --compare: text (default) or md' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
      .option('bundle', { type: 'string', describe: 'write the evidence bundle (tar.gz: journal, every report, scenario, provenance, SHA-256 manifest) to this path (default: <run-dir>/evidence-<run-id>.tar.gz)' })
      .option('compare', { type: 'boolean', describe: 'compare two runs of the same scenario: gates, figures with deltas, traffic per phase (exit 1 when a gate that passed on A does not on B)' })
      .example('$0 report runs/20261121T120000Z-probe-ab12 --format html --out report.html', 'self-contained HTML report')
      .example('$0 report runs/20261121T120000Z-probe-ab12 --bundle', 'the evidence bundle; check it later with gauntlet verify')
      .example('$0 report --compare runs/<run-v1> runs/<run-v2>', 'the same scenario on two releases, side by side'),
  async handler(a) {
    const o = optionsFromArgs(a);
    if (a.compare) return compareCommand(a, o);
    if (a.runDirB !== undefined) {
      const { UsageError } = await import('../../core/errors.ts');
      throw new UsageError(`report takes one run directory (got a second: ${a.runDirB})`, { hint: 'to compare two runs: gauntlet report --compare <run-dir-A> <run-dir-B>' });
    }
    if (a.bundle !== undefined) {
      const { writeBundle } = await import('../../reports/bundle.ts');
      const b = await writeBundle(a.runDir, { ...(a.bundle ? { out: a.bundle } : {}) });
      emit(o, bundleDoc(b), () => `wrote ${b.path} (${b.manifest.files.length + 2} files, ${b.bytes} bytes)\nsha256 ${b.sha256}\ncheck it with: gauntlet verify ${b.path}`);
      return ExitCode.Pass;
    }
    const { readJournal } = await import('../../core/journal.ts');
    const { renderReport } = await import('../../reports/index.ts');
    const events = readJournal(join(a.runDir, 'journal.ndjson'));
    const format = a.format ?? (o.output === 'json' ? 'json' : 'md');
    const text = renderReport(events, format, { color: o.color && !a.out });
    if (format === 'github') {
      // The Markdown goes to the step summary; failed gates also become annotations (on stderr).
      const { buildReport, githubAnnotations } = await import('../../reports/index.ts');
      for (const line of githubAnnotations(buildReport(events))) process.stderr.write(`${line}\n`);
    }
    await writeOut(a.out, text, o.progress);
    return ExitCode.Pass;
  },
});

async function writeOut(out: string | undefined, text: string, progress: (line: string) => void): Promise<void> {
  if (out) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(out, text);
    progress(`wrote ${out}`);
  } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `report --bundle -o json` (and `run --bundle`): where the archive is and its own checksum. */
export function bundleDoc(b: import('../../reports/bundle.ts').BundleResult) {
  return {
    schema: 'gauntlet/report-bundle/v1' as const,
    path: b.path,
    sha256: b.sha256,
    bytes: b.bytes,
    runId: b.manifest.runId,
    verdict: b.manifest.verdict,
    tools: b.manifest.tools,
    redactedEvents: b.manifest.redactedEvents,
    files: b.manifest.files,
    omitted: b.manifest.omitted,
  };
}

async function compareCommand(a: ReportArgs, o: ReturnType<typeof optionsFromArgs>): Promise<number> {
  const { UsageError } = await import('../../core/errors.ts');
  if (!a.runDirB) throw new UsageError('--compare needs two run directories', { hint: 'gauntlet report --compare <run-dir-A> <run-dir-B>' });
  if (a.bundle !== undefined) throw new UsageError('--compare and --bundle do not go together: bundle each run on its own');
  if (a.format && a.format !== 'md' && a.format !== 'text' && a.format !== 'json') throw new UsageError(`--compare renders text, md or json (-o json), not ${a.format}`);
  const { readJournal } = await import('../../core/journal.ts');
  const { buildReport, compareRuns, renderCompareMarkdown, renderCompareText } = await import('../../reports/index.ts');
  const side = (dir: string) => {
    const events = readJournal(join(dir, 'journal.ndjson'));
    return { report: buildReport(events), events, runDir: dir };
  };
  const c = compareRuns(side(a.runDir), side(a.runDirB));
  for (const w of c.warnings) o.progress(`warning: ${w}`);
  const json = o.output === 'json' || a.format === 'json';
  const text = json ? `${JSON.stringify(c, null, 2)}\n` : a.format === 'md' ? renderCompareMarkdown(c) : renderCompareText(c);
  await writeOut(a.out, text, o.progress);
  return c.regressions.length ? ExitCode.GateFailed : ExitCode.Pass;
}

export const verify = defineCommand<{ bundle: string }>({
  command: 'verify <bundle>',
  describe: 'check an evidence bundle against its SHA-256 manifest: exit 0 intact, 1 tampered (each file named), 2 not a bundle',
  builder: (y) =>
    y
      .positional('bundle', { type: 'string', demandOption: true, describe: 'a bundle written by report --bundle or run --bundle' })
      .example('$0 verify runs/<run-id>/evidence-<run-id>.tar.gz', 'intact, or which file differs and how'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { verifyBundle, formatVerify } = await import('../../reports/verify.ts');
    const r = verifyBundle(a.bundle);
    emit(o, { schema: 'gauntlet/verify/v1', ...r }, () => formatVerify(r));
    return r.intact ? ExitCode.Pass : ExitCode.GateFailed;
  },
});

export const recover = defineCommand<{ runDir?: string; runId?: string; server?: string; dryRun?: boolean; runCommands?: boolean }>({
  command: 'recover [run-dir]',
  describe: 'undo every change a crashed or abandoned run left behind, from its journal (or, journal lost, from the cluster\'s marks: --run-id)',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', describe: 'the run directory of the crashed run' })
      .option('run-id', { type: 'string', describe: 'journal lost: undo what the cluster\'s objects say this run left (nodes, pods, injected policies)' })
      .option('server', { type: 'string', describe: 'with --run-id: refuse unless the context\'s API server is this URL' })
      .option('dry-run', { type: 'boolean', describe: 'list what would be undone; change nothing' })
      .option('run-commands', { type: 'boolean', describe: 'run the revert commands the journal names (shown first; without this flag recover refuses)' })
      .example('$0 recover runs/20261121T120000Z-chaos-ab12', 'revert what the journal says is still applied')
      .example('$0 recover --run-id 20261121T120000Z-chaos-ab12 --dry-run', 'journal lost: list what the cluster still carries of that run'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { UsageError } = await import('../../core/errors.ts');
    if (a.runId !== undefined) {
      if (a.runDir) throw new UsageError('give a run directory or --run-id, not both', { hint: 'the run directory recovers from its journal; --run-id from the cluster\'s marks when the journal is lost' });
      const { recoverFromCluster } = await import('../../scenarios/recover.ts');
      const r = await recoverFromCluster(a.runId, o, { dryRun: a.dryRun ?? false, ...(a.server ? { server: a.server } : {}) });
      emit(o, r, () => {
        if (!r.planned.length) return `run ${r.runId}: no object in ${r.context} carries its marks: nothing to recover`;
        if (r.dryRun) return [`would undo (run ${r.runId}, ${r.server}):`, ...r.planned.map((p) => `  ${p.object}${p.step ? ` (step ${p.step})` : ''}: ${p.undo}`)].join('\n');
        return [...r.reverted.map((c) => `reverted ${c.object}: ${c.undo}`), ...r.failed.map((c) => `FAILED ${c.object} (${c.error})`)].join('\n') || `run ${r.runId}: nothing left to undo`;
      });
      return r.failed.length ? ExitCode.RevertFailed : ExitCode.Pass;
    }
    if (!a.runDir) throw new UsageError('name the run directory to recover, or --run-id <id> when its journal is lost', { hint: 'gauntlet runs lists run directories' });
    const { existsSync } = await import('node:fs');
    if (!existsSync(join(a.runDir, 'journal.ndjson'))) {
      const { basename, resolve } = await import('node:path');
      throw new UsageError(`${join(a.runDir, 'journal.ndjson')}: no journal`, { hint: `journal lost? undo from the cluster's marks: gauntlet recover --run-id ${basename(resolve(a.runDir))} --dry-run` });
    }
    const { recoverRun } = await import('../../scenarios/recover.ts');
    const r = await recoverRun(a.runDir, o, { runCommands: a.runCommands ?? false, dryRun: a.dryRun ?? false });
    emit(o, r, () =>
      r.planned
        ? r.planned.length ? [`would undo (${a.runDir}):`, ...r.planned.map((c) => `  ${c.id}: ${c.description}`)].join('\n') : `${a.runDir}: nothing to recover`
        : r.reverted.length + r.failed.length + r.stopped.length === 0
          ? `${a.runDir}: nothing to recover`
          : [...r.stopped.map((p) => `stopped ${p.command} (pid ${p.pid})`), ...r.reverted.map((c) => `reverted ${c.id}: ${c.description}`), ...r.failed.map((c) => `FAILED ${c.id}: ${c.description} (${c.error})`)].join('\n'),
    );
    return r.failed.length ? ExitCode.RevertFailed : ExitCode.Pass;
  },
});
