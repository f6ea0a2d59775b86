/**
 * report --bundle, verify and report --compare as a user runs them (`node cli/main.ts ...`), on
 * run directories holding synthetic journals: exit codes, what stderr names, -o json against
 * cli/schema/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../core/events.ts';
import { validateSchema } from '../reports/schema/validate.ts';
import { syntheticJournal } from '../reports/synthetic.ts';
import { tarPack, tarUnpack } from '../reports/tar.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '/nonexistent' } });
const schema = (name: string) => JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown>;
const root = mkdtempSync(join(tmpdir(), 'gauntlet-evidence-cli-'));
const slo = { availability: 0.999, window: 30 * 86_400_000, rps: 120 };

function runDir(name: string, events: JournalEvent[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'journal.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

const a = runDir('a', syntheticJournal({ seconds: 30, slo, variant: { runId: 'run-a', failScale: 1 } }));
const b = runDir('b', syntheticJournal({ seconds: 30, slo, variant: { runId: 'run-b', failScale: 3, rollbackSeconds: 20 } }));

describe('report --bundle and verify', () => {
  const written = cli('report', a, '--bundle', '-o', 'json');
  const doc = JSON.parse(written.stdout) as { path: string; sha256: string };

  it('writes the bundle in the run directory and describes it (-o json)', () => {
    expect(written.status, written.stderr).toBe(0);
    expect(doc.path).toBe(join(a, 'evidence-run-a.tar.gz'));
    expect(validateSchema(doc, schema('report-bundle'))).toEqual([]);
    const text = cli('report', a, '--bundle', join(root, 'out', 'e.tar.gz'));
    expect(text.stdout).toMatch(/^wrote .*out\/e\.tar\.gz \(\d+ files, \d+ bytes\)\nsha256 [0-9a-f]{64}\ncheck it with: gauntlet verify /);
  });

  it('verify: intact is exit 0', () => {
    const r = cli('verify', doc.path);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: intact — \d+ files match their SHA-256 checksums \(run run-a, checkout canary under zone loss, verdict fail;/);
  });

  it('verify: a changed byte is exit 1 naming the file and what differs', () => {
    const entries = tarUnpack(gunzipSync(readFileSync(doc.path)));
    const html = entries.find((e) => e.name.endsWith('/report.html'))!;
    html.data[100] = html.data[100]! ^ 0x20;
    const bad = join(root, 'tampered.tar.gz');
    writeFileSync(bad, gzipSync(tarPack(entries)));
    const r = cli('verify', bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED — 1 problem\(s\)[^\n]*\n  report\.html: modified: sha256 [0-9a-f]{64} \(\d+ bytes\) in the archive, [0-9a-f]{64} \(\d+ bytes\) in the manifest/);
    const j = JSON.parse(cli('verify', bad, '-o', 'json').stdout);
    expect(j).toMatchObject({ schema: 'gauntlet/verify/v1', intact: false, problems: [{ file: 'report.html', problem: 'modified' }] });
    expect(validateSchema(j, schema('verify'))).toEqual([]);
  });

  it('verify: not a bundle is exit 2 with an error document', () => {
    const junk = join(root, 'junk.tar.gz');
    writeFileSync(junk, 'not gzip');
    const r = cli('verify', junk, '-o', 'json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/junk\.tar\.gz: not a gauntlet evidence bundle: not a gzip file/);
    expect(validateSchema(JSON.parse(r.stdout), schema('error'))).toEqual([]);
  });
});

describe('report --compare', () => {
  it('text: the headline, gates, figures with deltas, traffic by phase; exit 1 when B regressed (0 otherwise: reports/compare.test.ts)', () => {
    const r = cli('report', '--compare', a, b);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^checkout canary under zone loss: A run-a \(\w+\) vs B run-b \(fail\); 1 gate\(s\) regressed: errors-during-fault; worse: error rate, requests failed, budget burned, burn rate, rollbackSeconds/);
    expect(r.stdout).toMatch(/rollbackSeconds\s+12\.5 s\s+20 s\s+\+7\.5 s \(\+60%\)\s+WORSE/);
    expect(r.stdout).toMatch(/Traffic by phase\n\s+phase\s+A requests/);
  });

  it('-o json validates against cli/schema/compare.schema.json; md renders tables', () => {
    const r = cli('report', '--compare', a, b, '-o', 'json');
    const doc = JSON.parse(r.stdout);
    expect(validateSchema(doc, schema('compare'))).toEqual([]);
    expect(doc.regressions).toEqual(['errors-during-fault']);
    expect(cli('report', '--compare', a, b, '--format', 'md').stdout).toContain('| rollbackSeconds | 12.5 s | 20 s | +7.5 s (+60%) | WORSE |');
  });

  it('refuses two different scenarios (exit 2), and two run directories without --compare', () => {
    const other = syntheticJournal({ seconds: 10, variant: { runId: 'run-o', failScale: 1 } });
    (other[0] as { scenario: { name: string } }).scenario.name = 'another';
    const r = cli('report', '--compare', a, runDir('o', other));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/different scenarios \(A: checkout canary under zone loss, run run-a; B: another, run run-o\)/);
    expect(cli('report', a, b).stderr).toMatch(/report takes one run directory.*\nhint: to compare two runs: gauntlet report --compare/);
  });
});
