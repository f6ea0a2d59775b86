import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import type { JournalEvent } from '../core/events.ts';
import { writeBundle } from './bundle.ts';
import { syntheticJournal } from './synthetic.ts';
import { tarPack, tarUnpack } from './tar.ts';
import { verifyBundle } from './verify.ts';

/** A run directory whose journal carries secrets the way a careless writer would leave them. */
function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-bundle-'));
  const events: JournalEvent[] = syntheticJournal({ seconds: 20, slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 } });
  const at = events.length - 2;
  const base = { v: 1, seq: 0, t: events[at]!.t, wall: events[at]!.wall };
  events.splice(
    at,
    0,
    { ...base, type: 'change.intent', id: 'c9', step: 'zone-loss', description: 'replace Secret shop/db', revert: { kind: 'apply', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { url: 'cG9zdGdyZXM6Ly91OnB3QGRi' } } } },
    { ...base, type: 'process.start', step: 'load', pid: 4242, command: 'k6 run --token tok-9f8e7d6c5b script.js' },
    { ...base, type: 'change.intent', id: 'c10', step: 'zone-loss', description: 'run a command', revert: { kind: 'command', argv: ['kubectl', '--token', 'tok-1a2b3c4d5e', 'scale'] } },
  );
  events.forEach((e, i) => (e.seq = i));
  writeFileSync(join(dir, 'journal.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

/** Rewrite a bundle's archive through `edit` (entries by name relative to its directory). */
function tamper(path: string, edit: (files: Map<string, Buffer>) => void): string {
  const entries = tarUnpack(gunzipSync(readFileSync(path)));
  const dir = entries[0]!.name.split('/')[0]!;
  const files = new Map(entries.map((e) => [e.name.slice(dir.length + 1), e.data]));
  edit(files);
  const out = path.replace(/\.tar\.gz$/, `-${Math.random().toString(36).slice(2)}.tar.gz`);
  writeFileSync(out, gzipSync(tarPack([...files].map(([name, data]) => ({ name: `${dir}/${name}`, data })))));
  return out;
}

describe('evidence bundle', async () => {
  const dir = runDir();
  const b = await writeBundle(dir, { out: join(dir, 'evidence.tar.gz') });
  const entries = tarUnpack(gunzipSync(readFileSync(b.path)));
  const names = entries.map((e) => e.name);

  it('holds the journal, every report format, the scenario as run, provenance, a manifest and SHA256SUMS', () => {
    const d = 'run-20250115-093000-abcd';
    expect(names).toEqual(expect.arrayContaining([`${d}/journal.ndjson`, `${d}/report.json`, `${d}/report.html`, `${d}/report.md`, `${d}/junit.xml`, `${d}/report.txt`, `${d}/github-summary.md`, `${d}/scenario.json`, `${d}/provenance.json`, `${d}/manifest.json`, `${d}/SHA256SUMS`]));
    expect(b.manifest.files.map((f) => f.path)).not.toContain('manifest.json');
    expect(b.manifest.tools).toMatchObject({ gauntlet: '0.1.0', node: 'v24.9.0', k6: 'v1.3.0', kubectl: 'v1.34.1' });
    expect(b.manifest.createdBy.node).toBe(process.version);
    // The scenario file of the synthetic run does not exist here: said, not silently missing.
    expect(b.manifest.omitted).toEqual([{ path: 'scenario/checkout.ts', why: expect.stringContaining('not readable') }]);
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets secrets in: never (a Secret\'s data, a token in argv and in a command line, the fixture\'s own)', () => {
    const all = entries.map((e) => e.data.toString('utf8')).join('\n');
    for (const secret of ['cG9zdGdyZXM6Ly91OnB3QGRi', 'tok-9f8e7d6c5b', 'tok-1a2b3c4d5e', 'hunter2', 's3cr3t', 'abc.def.ghi', 'sk_live']) expect(all).not.toContain(secret);
    // The three above, and the synthetic run's own: run.start (a URL with a password, an Authorization header) and a log line with a bearer token.
    expect(b.manifest.redactedEvents).toBe(5);
    expect(all).toContain('"--token","[redacted]"');
  });

  it('is a tar.gz that tar and sha256sum read', () => {
    const list = spawnSync('tar', ['-tzf', b.path], { encoding: 'utf8' });
    if (list.error) return; // no tar on this machine
    expect(list.stdout.trim().split('\n')).toEqual(names);
    const x = mkdtempSync(join(tmpdir(), 'gauntlet-bundle-x-'));
    expect(spawnSync('tar', ['-xzf', b.path, '-C', x]).status).toBe(0);
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(x, 'run-20250115-093000-abcd'), encoding: 'utf8' });
    if (!sums.error) expect(sums.status, sums.stdout + sums.stderr).toBe(0);
  });

  it('verifies intact', () => {
    const v = verifyBundle(b.path);
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ intact: true, runId: 'run-20250115-093000-abcd', verdict: 'fail', sha256: b.sha256, files: b.manifest.files.length });
  });

  it('names the file when one byte of it changed', () => {
    const bad = tamper(b.path, (f) => {
      const md = Buffer.from(f.get('report.md')!);
      md[40] = md[40]! ^ 1;
      f.set('report.md', md);
    });
    const v = verifyBundle(bad);
    expect(v.intact).toBe(false);
    expect(v.problems).toEqual([{ file: 'report.md', problem: 'modified', detail: expect.stringMatching(/^sha256 [0-9a-f]{64} \(\d+ bytes\) in the archive, [0-9a-f]{64} \(\d+ bytes\) in the manifest: same size, different content$/) }]);
  });

  it('names a file added, and a file removed', () => {
    const added = verifyBundle(tamper(b.path, (f) => f.set('notes.txt', Buffer.from('all good\n'))));
    expect(added.problems).toEqual([{ file: 'notes.txt', problem: 'unexpected', detail: 'in the archive (9 bytes) but not in the manifest' }]);
    const removed = verifyBundle(tamper(b.path, (f) => f.delete('junit.xml')));
    expect(removed.problems).toEqual([{ file: 'junit.xml', problem: 'missing', detail: expect.stringContaining('listed in the manifest') }]);
  });

  it('catches a journal edited to flip the verdict even when its checksum was updated too', () => {
    const bad = tamper(b.path, (f) => {
      const journal = f.get('journal.ndjson')!.toString('utf8').replace(/"failures":\d+/g, '"failures":0');
      f.set('journal.ndjson', Buffer.from(journal));
      const m = JSON.parse(f.get('manifest.json')!.toString('utf8'));
      const entry = m.files.find((x: { path: string }) => x.path === 'journal.ndjson');
      entry.sha256 = createHash('sha256').update(journal).digest('hex');
      entry.bytes = Buffer.byteLength(journal);
      f.set('manifest.json', Buffer.from(JSON.stringify(m)));
    });
    const files = verifyBundle(bad).problems.map((p) => `${p.file}: ${p.problem}`);
    expect(files).toEqual(expect.arrayContaining(['SHA256SUMS: modified', 'manifest.json: inconsistent', 'report.json: inconsistent']));
  });

  it('flags a secret put into the journal', () => {
    const bad = tamper(b.path, (f) => f.set('journal.ndjson', Buffer.concat([f.get('journal.ndjson')!, Buffer.from('{"v":1,"seq":999,"t":1,"wall":"x","type":"log","level":"warn","msg":"password=hunter2"}\n')])));
    expect(verifyBundle(bad).problems.map((p) => `${p.file}: ${p.problem}`)).toEqual(expect.arrayContaining(['journal.ndjson: modified', 'journal.ndjson: secret']));
  });

  it('refuses what is not a bundle (exit 2)', () => {
    const notGz = join(dir, 'x.tar.gz');
    writeFileSync(notGz, 'hello');
    expect(() => verifyBundle(notGz)).toThrow(InputError);
    expect(() => verifyBundle(notGz)).toThrow(/not a gauntlet evidence bundle: not a gzip file/);
    const plain = join(dir, 'y.tar.gz');
    writeFileSync(plain, gzipSync(tarPack([{ name: 'a/readme.txt', data: Buffer.from('hi') }])));
    expect(() => verifyBundle(plain)).toThrow(/no manifest.json/);
    writeFileSync(plain, gzipSync(Buffer.from('garbage that is no tar')));
    expect(() => verifyBundle(plain)).toThrow(/not a tar archive/);
    expect(() => verifyBundle(join(dir, 'missing.tar.gz'))).toThrow(/cannot read/);
  });

  it('includes the scenario file when it still matches the run', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'gauntlet-bundle-src-'));
    const src = join(d2, 'probe.yaml');
    writeFileSync(src, 'name: probe\n');
    const events = syntheticJournal({ seconds: 5 });
    const start = events[0] as Extract<JournalEvent, { type: 'run.start' }>;
    start.provenance.scenario = { ...start.provenance.scenario, file: src, sha256: createHash('sha256').update('name: probe\n').digest('hex') };
    mkdirSync(join(d2, 'run'));
    writeFileSync(join(d2, 'run', 'journal.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await writeBundle(join(d2, 'run'));
    expect(r.path).toBe(join(d2, 'run', 'evidence-run-20250115-093000-abcd.tar.gz'));
    expect(r.manifest.files.map((f) => f.path)).toContain('scenario/probe.yaml');
    writeFileSync(src, 'name: probe\npassword: hunter2\n');
    expect((await writeBundle(join(d2, 'run'))).manifest.omitted[0]!.why).toMatch(/changed since the run/);
  });
});
