/**
 * The run directory: `<report-dir>/<run-id>/` holds journal.ndjson (written by the runner) and
 * the reports written here. Every file is derived from the journal, so `gauntlet report <dir>`
 * can rewrite them at any time.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalEvent } from '../core/events.ts';
import { buildReport, type BuildOptions, type Report } from './model.ts';
import { renderers } from './registry.ts';
import type { ReportFormat } from './renderer.ts';

/** File name of each format inside a run directory. */
export const REPORT_FILES = {
  json: 'report.json',
  html: 'report.html',
  md: 'report.md',
  junit: 'junit.xml',
} as const satisfies Partial<Record<ReportFormat, string>>;

export const JOURNAL_FILE = 'journal.ndjson';

export interface WriteReportsOptions extends BuildOptions {
  /** $GITHUB_STEP_SUMMARY: append the GitHub summary there (the file may hold other steps' output). */
  githubStepSummary?: string;
}

export interface WrittenReports {
  files: string[];
  report: Report;
}

export async function writeReports(runDir: string, events: readonly JournalEvent[], opts: WriteReportsOptions = {}): Promise<WrittenReports> {
  const report = buildReport(events, opts);
  await mkdir(runDir, { recursive: true });
  const files: string[] = [];
  for (const [format, name] of Object.entries(REPORT_FILES) as Array<[ReportFormat, string]>) {
    const path = join(runDir, name);
    await writeFile(path, renderers[format](report, { color: false }));
    files.push(path);
  }
  if (opts.githubStepSummary) {
    await appendFile(opts.githubStepSummary, renderers.github(report, { color: false }));
    files.push(opts.githubStepSummary);
  }
  return { files, report };
}
