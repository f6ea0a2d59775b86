/**
 * The evidence bundle: one tar.gz holding everything a postmortem needs from a run, derived from
 * its journal alone, with a manifest of SHA-256 checksums that `gauntlet verify` checks.
 *
 *   <run-id>/journal.ndjson      the journal, every event redacted again on the way in
 *   <run-id>/report.json|.html|.md, junit.xml, report.txt, github-summary.md   every report format
 *   <run-id>/scenario.json       the scenario as run (normalized, redacted, from run.start)
 *   <run-id>/scenario/<file>     the scenario file itself, when it still matches the run's sha256 and holds nothing redaction would change
 *   <run-id>/provenance.json     provenance: tool and scenario versions, kube context, seed, times
 *   <run-id>/manifest.json       schema, run, tool versions, every other file's sha256 and size
 *   <run-id>/SHA256SUMS          the same checksums for `sha256sum -c`
 *
 * Secrets never enter it: the journal is redacted event by event (core/redact.ts: secret-named
 * keys, credentials in text and argv, a Kubernetes Secret's data) and every file is built from
 * that redacted journal. The checksums prove integrity, not authorship: record the bundle's own
 * sha256 (printed when it is written) where the bundle cannot change it, or sign it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { JournalEvent, RunStart } from '../core/events.ts';
import { readJournal } from '../core/journal.ts';
import { toolVersion } from '../core/version.ts';
import { buildReport } from './model.ts';
import { mayHoldSecret, redact, redactString } from './redact.ts';
import { renderers } from './registry.ts';
import type { ReportFormat } from './renderer.ts';
import { tarPack } from './tar.ts';
import { JOURNAL_FILE } from './write.ts';

export const BUNDLE_SCHEMA = 'gauntlet/bundle/v1';
export const MANIFEST_FILE = 'manifest.json';
export const SUMS_FILE = 'SHA256SUMS';

export interface BundleFile {
  /** Path inside the bundle's directory. */
  path: string;
  sha256: string;
  bytes: number;
  what: string;
}

export interface BundleManifest {
  schema: typeof BUNDLE_SCHEMA;
  runId: string;
  scenario: string;
  verdict: string;
  createdAt: string;
  createdBy: { gauntlet: string; node: string };
  /** Versions of what ran: gauntlet and node of the run, k6, the Kubernetes server, ... (from the journal). */
  tools: Record<string, string>;
  /** Journal events that redaction changed on the way into the bundle (0 for a journal written by gauntlet). */
  redactedEvents: number;
  files: BundleFile[];
  /** Files that were not included, and why. */
  omitted: Array<{ path: string; why: string }>;
}

export interface BundleResult {
  path: string;
  /** sha256 of the archive itself: record it where the bundle cannot change it. */
  sha256: string;
  bytes: number;
  manifest: BundleManifest;
}

const REPORT_FILES: Array<[ReportFormat, string, string]> = [
  ['json', 'report.json', 'the report model (reports/schema/report.schema.json)'],
  ['html', 'report.html', 'self-contained HTML report'],
  ['md', 'report.md', 'Markdown postmortem draft'],
  ['junit', 'junit.xml', 'JUnit XML, one testcase per gate'],
  ['text', 'report.txt', 'terminal summary'],
  ['github', 'github-summary.md', 'GitHub step summary'],
];

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The default archive path: `<run-dir>/evidence-<run-id>.tar.gz`. */
export function defaultBundlePath(runDir: string, runId: string): string {
  return join(runDir, `evidence-${runId}.tar.gz`);
}

/** Redact every event (as NDJSON lines); count those it changed. The journal's own cheap test skips the walk for events that cannot hold a secret. */
export function redactedJournal(events: readonly JournalEvent[]): { events: JournalEvent[]; lines: string[]; changed: number } {
  let changed = 0;
  const out: JournalEvent[] = [];
  const lines: string[] = [];
  for (const e of events) {
    const line = JSON.stringify(e);
    if (!mayHoldSecret(line)) {
      out.push(e);
      lines.push(line);
      continue;
    }
    const r = redact(e);
    const redacted = JSON.stringify(r);
    if (redacted !== line) changed++;
    out.push(r);
    lines.push(redacted);
  }
  return { events: out, lines, changed };
}

/** The scenario file as it was run: only when it still matches the journaled sha256 and holds nothing to redact. */
function scenarioSource(start: RunStart | undefined, runDir: string): { entry?: { path: string; data: Buffer }; omitted?: { path: string; why: string } } {
  const file = start?.provenance?.scenario?.file;
  if (!file || file.startsWith('<')) return {};
  const path = `scenario/${basename(file)}`;
  let data: Buffer | undefined;
  for (const candidate of [resolve(file), resolve(runDir, file)]) {
    try {
      data = readFileSync(candidate);
      break;
    } catch {
      // try the next place
    }
  }
  if (!data) return { omitted: { path, why: `${file} is not readable from here (scenario.json holds the scenario as run)` } };
  if (sha256(data) !== start.provenance.scenario.sha256) return { omitted: { path, why: `${file} changed since the run (sha256 differs from the journal's); scenario.json holds the scenario as run` } };
  const text = data.toString('utf8');
  if (redactString(text) !== text) return { omitted: { path, why: `${file} holds what looks like a secret; scenario.json holds the scenario as run, redacted` } };
  return { entry: { path, data } };
}

export interface BundleOptions {
  /** Archive path (default: defaultBundlePath). */
  out?: string;
  now?: Date;
}

/** Build the bundle from a run directory's journal and write it. */
export async function writeBundle(runDir: string, opts: BundleOptions = {}): Promise<BundleResult> {
  const raw = readJournal(join(runDir, JOURNAL_FILE));
  const { events, lines, changed } = redactedJournal(raw);
  const start = events.find((e): e is RunStart => e.type === 'run.start');
  const report = buildReport(events);
  const runId = report.runId;
  const entries: Array<{ path: string; data: Buffer; what: string }> = [];
  const add = (path: string, data: string | Buffer, what: string) => entries.push({ path, data: Buffer.isBuffer(data) ? data : Buffer.from(data), what });

  add(JOURNAL_FILE, lines.join('\n') + (lines.length ? '\n' : ''), 'the run journal (NDJSON), every event redacted');
  for (const [format, name, what] of REPORT_FILES) add(name, renderers[format](report, { color: false }), what);
  add('scenario.json', `${JSON.stringify(start?.scenario ?? null, null, 2)}\n`, 'the scenario as run: normalized, with the resolved gate set, secrets redacted');
  add('provenance.json', `${JSON.stringify(report.provenance ?? null, null, 2)}\n`, 'provenance: tool and scenario versions, kube context, seed, times');
  const omitted: BundleManifest['omitted'] = [];
  const src = scenarioSource(start, runDir);
  if (src.entry) add(src.entry.path, src.entry.data, 'the scenario file as run (its sha256 matches provenance.json)');
  if (src.omitted) omitted.push(src.omitted);

  const p = report.provenance;
  const tools: Record<string, string> = { ...(p ? { gauntlet: p.tool.version, node: p.node } : {}), ...(p?.tools ?? {}) };
  const manifest: BundleManifest = {
    schema: BUNDLE_SCHEMA,
    runId,
    scenario: report.scenario?.name ?? 'unknown',
    verdict: report.verdict,
    createdAt: (opts.now ?? new Date()).toISOString(),
    createdBy: { gauntlet: toolVersion(), node: process.version },
    tools,
    redactedEvents: changed,
    files: entries.map((e) => ({ path: e.path, sha256: sha256(e.data), bytes: e.data.length, what: e.what })),
    omitted,
  };
  const sums = manifest.files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  const dir = safeDirName(runId);
  const tar = tarPack(
    [...entries.map((e) => ({ name: `${dir}/${e.path}`, data: e.data })), { name: `${dir}/${MANIFEST_FILE}`, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) }, { name: `${dir}/${SUMS_FILE}`, data: Buffer.from(sums) }],
    Math.floor(Date.parse(p?.endedAt ?? '') / 1000) || 0,
  );
  const gz = gzipSync(tar);
  const path = resolve(opts.out ?? defaultBundlePath(runDir, runId));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, gz);
  return { path, sha256: sha256(gz), bytes: gz.length, manifest };
}

/** The archive's top directory: the run id, made safe for a path. */
export function safeDirName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || 'run';
}
