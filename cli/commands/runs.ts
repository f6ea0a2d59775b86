/** report and recover: commands that work from a run directory's journal alone. */
import { ExitCode } from '../../core/errors.ts';
import { join } from 'node:path';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';

const FORMATS = ['html', 'md', 'junit', 'json', 'text', 'github'] as const;

export const report = defineCommand<{ runDir: string; format?: (typeof FORMATS)[number]; out?: string }>({
  command: 'report <run-dir>',
  describe: 'rebuild a report from the run journal alone',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', demandOption: true, describe: 'a run directory (holds journal.ndjson)' })
      .option('format', { alias: 'f', choices: FORMATS, describe: 'report format (default: md; json with -o json)' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
      .example('$0 report runs/20261121T120000Z-probe-ab12 --format html --out report.html', 'self-contained HTML report'),
  async handler(a) {
    const o = optionsFromArgs(a);
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
    if (a.out) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(a.out, text);
      o.progress(`wrote ${a.out}`);
    } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return ExitCode.Pass;
  },
});

export const recover = defineCommand<{ runDir: string; runCommands?: boolean }>({
  command: 'recover <run-dir>',
  describe: 'undo every change a crashed or abandoned run left behind, from its journal',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', demandOption: true, describe: 'the run directory of the crashed run' })
      .option('run-commands', { type: 'boolean', describe: 'run the revert commands the journal names (shown first; without this flag recover refuses)' })
      .example('$0 recover runs/20261121T120000Z-chaos-ab12', 'revert what the journal says is still applied'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { recoverRun } = await import('../../scenarios/recover.ts');
    const r = await recoverRun(a.runDir, o, { runCommands: a.runCommands ?? false });
    emit(o, r, () =>
      r.reverted.length + r.failed.length + r.stopped.length === 0
        ? `${a.runDir}: nothing to recover`
        : [...r.stopped.map((p) => `stopped ${p.command} (pid ${p.pid})`), ...r.reverted.map((c) => `reverted ${c.id}: ${c.description}`), ...r.failed.map((c) => `FAILED ${c.id}: ${c.description} (${c.error})`)].join('\n'),
    );
    return r.failed.length ? ExitCode.RevertFailed : ExitCode.Pass;
  },
});
