/**
 * `gauntlet verify <bundle>`: is an evidence bundle (reports/bundle.ts) what it was when it was
 * written? Every file the manifest lists must be there with its sha256 and size, nothing else may
 * be, SHA256SUMS must agree with the manifest, the journal must hold nothing redaction would
 * change, and report.json must carry the verdict its journal gives. Tampering is a result
 * (exit 1, each file named with what differs); something that is not a bundle at all is bad input
 * (exit 2).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../core/errors.ts';
import type { JournalEvent } from '../core/events.ts';
import { runVerdict } from '../core/gates.ts';
import { BUNDLE_SCHEMA, MANIFEST_FILE, sha256, SUMS_FILE, type BundleManifest } from './bundle.ts';
import { mayHoldSecret, redact } from './redact.ts';
import { tarUnpack, TarFormatError } from './tar.ts';
import { JOURNAL_FILE } from './write.ts';

export type BundleProblemKind = 'modified' | 'missing' | 'unexpected' | 'secret' | 'inconsistent';

export interface BundleProblem {
  file: string;
  problem: BundleProblemKind;
  detail: string;
}

export interface VerifyResult {
  bundle: string;
  /** sha256 of the archive as read. */
  sha256: string;
  intact: boolean;
  runId: string;
  scenario: string;
  verdict: string;
  createdAt: string;
  createdBy: BundleManifest['createdBy'];
  tools: Record<string, string>;
  /** Files the manifest lists. */
  files: number;
  problems: BundleProblem[];
}

const notABundle = (file: string, why: string) => new InputError([{ file, path: '', message: `not a gauntlet evidence bundle: ${why}` }], { hint: 'write one with: gauntlet report <run-dir> --bundle' });

export function verifyBundle(file: string): VerifyResult {
  let gz: Buffer;
  try {
    gz = readFileSync(file);
  } catch (e) {
    throw new InputError([{ file, path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: 4 * 1024 ** 3 });
  } catch {
    throw notABundle(file, 'not a gzip file');
  }
  let entries;
  try {
    entries = tarUnpack(tar);
  } catch (e) {
    if (e instanceof TarFormatError) throw notABundle(file, `not a tar archive (${e.message})`);
    throw e;
  }
  const manifests = entries.filter((e) => e.name === MANIFEST_FILE || e.name.endsWith(`/${MANIFEST_FILE}`));
  if (manifests.length !== 1) throw notABundle(file, manifests.length ? `${manifests.length} manifests` : `no ${MANIFEST_FILE}`);
  const manifestEntry = manifests[0]!;
  const dir = manifestEntry.name.slice(0, -MANIFEST_FILE.length);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(manifestEntry.data.toString('utf8')) as BundleManifest;
  } catch {
    throw notABundle(file, `${manifestEntry.name} is not JSON`);
  }
  if (manifest?.schema !== BUNDLE_SCHEMA || !Array.isArray(manifest.files)) throw notABundle(file, `${manifestEntry.name} is not a ${BUNDLE_SCHEMA} manifest`);

  const problems: BundleProblem[] = [];
  const byName = new Map<string, Buffer>();
  for (const e of entries) {
    const rel = e.name.startsWith(dir) ? e.name.slice(dir.length) : e.name;
    if (!e.name.startsWith(dir) || byName.has(rel)) problems.push({ file: e.name, problem: 'unexpected', detail: byName.has(rel) ? 'appears twice in the archive' : `outside the bundle's directory ${dir}` });
    else byName.set(rel, e.data);
  }
  const listed = new Set<string>([MANIFEST_FILE, SUMS_FILE]);
  for (const f of manifest.files) {
    listed.add(f.path);
    const data = byName.get(f.path);
    if (!data) {
      problems.push({ file: f.path, problem: 'missing', detail: `listed in the manifest (${f.bytes} bytes, sha256 ${f.sha256}) but not in the archive` });
      continue;
    }
    const actual = sha256(data);
    if (actual !== f.sha256 || data.length !== f.bytes) {
      problems.push({ file: f.path, problem: 'modified', detail: `sha256 ${actual} (${data.length} bytes) in the archive, ${f.sha256} (${f.bytes} bytes) in the manifest${sizeChange(data, f)}` });
    }
  }
  for (const name of byName.keys()) if (!listed.has(name)) problems.push({ file: name, problem: 'unexpected', detail: `in the archive (${byName.get(name)!.length} bytes) but not in the manifest` });
  problems.push(...checkSums(byName.get(SUMS_FILE), manifest));
  problems.push(...checkJournal(byName.get(JOURNAL_FILE), byName.get('report.json'), manifest));

  return {
    bundle: file,
    sha256: sha256(gz),
    intact: problems.length === 0,
    runId: String(manifest.runId),
    scenario: String(manifest.scenario),
    verdict: String(manifest.verdict),
    createdAt: String(manifest.createdAt),
    createdBy: manifest.createdBy,
    tools: manifest.tools ?? {},
    files: manifest.files.length,
    problems,
  };
}

/** What changed, as far as hashes can tell: the size difference (the manifest keeps no content). */
function sizeChange(data: Buffer, f: { bytes: number }): string {
  const d = data.length - f.bytes;
  return d === 0 ? ': same size, different content' : `: ${Math.abs(d)} byte(s) ${d > 0 ? 'added' : 'removed'}`;
}

function checkSums(sums: Buffer | undefined, manifest: BundleManifest): BundleProblem[] {
  if (!sums) return [{ file: SUMS_FILE, problem: 'missing', detail: 'the sha256sum listing is not in the archive' }];
  const want = manifest.files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  if (sums.toString('utf8') === want) return [];
  const lines = new Map(sums.toString('utf8').split('\n').filter(Boolean).map((l) => [l.slice(66), l.slice(0, 64)] as const));
  const differ = manifest.files.filter((f) => lines.get(f.path) !== f.sha256).map((f) => f.path);
  const extra = [...lines.keys()].filter((p) => !manifest.files.some((f) => f.path === p));
  return [{ file: SUMS_FILE, problem: 'modified', detail: `disagrees with ${MANIFEST_FILE}${differ.length ? ` for ${differ.join(', ')}` : ''}${extra.length ? `; lists ${extra.join(', ')} the manifest does not` : ''}` }];
}

function checkJournal(journal: Buffer | undefined, reportJson: Buffer | undefined, manifest: BundleManifest): BundleProblem[] {
  if (!journal) return [];
  const out: BundleProblem[] = [];
  const events: JournalEvent[] = [];
  const lines = journal.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    let e: JournalEvent;
    try {
      e = JSON.parse(lines[i]!) as JournalEvent;
    } catch {
      out.push({ file: JOURNAL_FILE, problem: 'inconsistent', detail: `line ${i + 1} is not a journal event (invalid JSON)` });
      return out;
    }
    if (mayHoldSecret(lines[i]!) && JSON.stringify(redact(e)) !== JSON.stringify(e)) out.push({ file: JOURNAL_FILE, problem: 'secret', detail: `line ${i + 1} (${e.type}) holds what looks like a secret` });
    events.push(e);
  }
  const verdict = runVerdict(events).verdict;
  if (verdict !== manifest.verdict) out.push({ file: MANIFEST_FILE, problem: 'inconsistent', detail: `says verdict ${manifest.verdict}, the journal gives ${verdict}` });
  if (reportJson) {
    try {
      const r = JSON.parse(reportJson.toString('utf8')) as { verdict?: string; runId?: string };
      if (r.verdict !== verdict) out.push({ file: 'report.json', problem: 'inconsistent', detail: `says verdict ${r.verdict}, the journal gives ${verdict}` });
    } catch {
      out.push({ file: 'report.json', problem: 'inconsistent', detail: 'is not JSON' });
    }
  }
  return out;
}

export function formatVerify(r: VerifyResult): string {
  const head = r.intact
    ? `${r.bundle}: intact — ${r.files} files match their SHA-256 checksums (run ${r.runId}, ${r.scenario}, verdict ${r.verdict}; bundled ${r.createdAt} by gauntlet ${r.createdBy?.gauntlet ?? '?'})`
    : `${r.bundle}: TAMPERED — ${r.problems.length} problem(s) (run ${r.runId}, ${r.scenario})`;
  const lines = [head, ...r.problems.map((p) => `  ${p.file}: ${p.problem}: ${p.detail}`), `  bundle sha256 ${r.sha256}`];
  return lines.join('\n');
}
