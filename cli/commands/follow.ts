/** `gauntlet runs` and `gauntlet watch <run-dir>`: follow runs from another terminal. */
import { join } from 'node:path';
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';

export const runs = defineCommand<Record<string, never>>({
  command: 'runs',
  describe: 'list run directories: scenario, started, running/finished/crashed, verdict, what a crashed run left applied',
  builder: (y) => y.example('$0 runs --report-dir runs', 'newest first').example('$0 runs -o json', 'the list as JSON'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { listRuns } = await import('../../scenarios/run-dirs.ts');
    const list = listRuns(o.reportDir);
    emit(o, { schema: 'gauntlet/runs/v1', reportDir: o.reportDir, runs: list }, () => {
      if (!list.length) return `no run directories under ${o.reportDir}`;
      const rows = [['RUN', 'SCENARIO', 'STARTED', 'STATE', 'VERDICT', 'LEFT APPLIED']];
      for (const r of list) {
        const state = r.state === 'finished' && r.runStatus && r.runStatus !== 'completed' ? `finished (${r.runStatus})` : r.state;
        const left = r.leftApplied.length ? `${r.leftApplied.length}: ${r.leftApplied.map((c) => c.description).join('; ')}` : r.recovered ? 'none (recovered)' : '-';
        rows.push([r.runId, r.scenario ?? '?', (r.startedAt ?? '?').replace('T', ' ').replace(/\.\d+Z$/, 'Z'), state, r.verdict ?? '-', left]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
      const lines = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
      const crashed = list.filter((r) => r.state === 'crashed' && r.leftApplied.length);
      if (crashed.length) lines.push('', ...crashed.map((r) => `${r.runId} left changes applied: gauntlet recover ${r.runDir}`));
      return lines.join('\n');
    });
    return ExitCode.Pass;
  },
});

export const watch = defineCommand<{ runDir: string; once?: boolean; interval: number }>({
  command: 'watch <run-dir>',
  describe: 'follow a run from its journal: phase, steps, live numbers, gate states (until it ends)',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', demandOption: true, describe: 'a run directory (holds journal.ndjson)' })
      .option('once', { type: 'boolean', describe: 'print the current state once and exit' })
      .option('interval', { type: 'number', default: 1, describe: 'seconds between updates' })
      .example('$0 watch runs/20261121T120000Z-lab-demo-ab12', 'live view; exits when the run ends (exit code from its verdict)')
      .example('$0 watch runs/... -o json', 'one JSON document per line (NDJSON) per update'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const { existsSync } = await import('node:fs');
    const { UsageError } = await import('../../core/errors.ts');
    const { readJournal } = await import('../../core/journal.ts');
    const { sleep } = await import('../../core/proc.ts');
    const { summarizeRunDir, watchState, JOURNAL } = await import('../../scenarios/run-dirs.ts');
    const { formatWatch } = await import('./watch-format.ts');
    const path = join(a.runDir, JOURNAL);
    if (!existsSync(path)) throw new UsageError(`${a.runDir}: no ${JOURNAL} here`, { hint: '`gauntlet runs` lists the run directories' });
    const { onInterrupt } = await import('../interrupt.ts');
    const stop = onInterrupt('stopping the watch (the run goes on)');
    try {
      const intervalMs = Math.max(0.2, a.interval) * 1000;
      // Bounded: a run that stops writing is reported as crashed, which ends the watch.
      for (let i = 0; i < 1_000_000; i++) {
        const summary = summarizeRunDir(a.runDir);
        const state = watchState(readJournal(path), summary?.state ?? 'crashed');
        if (o.output === 'json') process.stdout.write(`${JSON.stringify({ schema: 'gauntlet/watch/v1', ...state })}\n`);
        else process.stdout.write(`${formatWatch(state, { clear: !a.once && Boolean(process.stdout.isTTY) })}\n`);
        if (a.once || state.state !== 'running' || stop.signal.aborted) return state.verdict === 'pass' || state.state === 'running' ? ExitCode.Pass : ExitCode.GateFailed;
        await sleep(intervalMs, stop.signal);
      }
      return ExitCode.Pass;
    } finally {
      stop.done();
    }
  },
});
