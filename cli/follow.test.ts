/** `gauntlet runs` and `gauntlet watch` over run directories written here (no run, no cluster). */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../reports/schema/validate.ts';

const schema = (name: string) => JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown>;
const cli = (args: string[]) => spawnSync(process.execPath, ['cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let seq = 0;
const ev = (t: number, e: Record<string, unknown>) => JSON.stringify({ v: 1, seq: seq++, t, wall: new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + t).toISOString(), ...e });
const start = (name: string) =>
  ev(0, { type: 'run.start', runId: `r-${name}`, epochMs: 0, scenario: { name, duration: 10_000, steps: [{ id: 'probe', kind: 'http-probe' }], gates: [{ name: 'errors', metric: 'error_rate', max: 0.01 }] }, provenance: { tool: { name: 'gauntlet', version: '0' }, node: '24', tools: {}, scenario: { file: `${name}.yaml`, name, sha256: 'x' }, seed: 1, host: 'h' } });
const samples = (from: number, n: number, ok = true) => Array.from({ length: n }, (_, i) => ev(from + i * 100, { type: 'sample', step: 'probe', ok, status: ok ? 200 : 503, ms: 2 }));
const intent = (t: number) => ev(t, { type: 'change.intent', id: 'c1', step: 'kill', description: 'scale deployment/db to 0', revert: { kind: 'command', argv: ['true'] } });

function runDir(root: string, name: string, lines: string[]): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'journal.ndjson'), lines.join('\n') + '\n');
  return d;
}

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'gauntlet-follow-'));
  runDir(root, 'finished', [start('done'), ev(1, { type: 'step.start', step: 'probe', kind: 'http-probe', section: 'checks' }), ...samples(10, 20), ev(3000, { type: 'run.end', status: 'completed' })]);
  const crashed = runDir(root, 'crashed', [start('crash'), intent(5), ev(6, { type: 'change.applied', id: 'c1' }), ...samples(10, 5)]);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(crashed, 'journal.ndjson'), old, old);
  const live = runDir(root, 'live', [start('live'), ev(1, { type: 'step.start', step: 'probe', kind: 'http-probe', section: 'checks' }), ...samples(10, 10), ...samples(1100, 10, false)]);
  writeFileSync(join(live, 'run.lock'), JSON.stringify({ pid: process.pid }));
  return root;
}

describe('gauntlet runs', () => {
  it('lists each run: scenario, state, verdict, and what a crashed run left applied', () => {
    const root = fixture();
    const r = cli(['runs', '--report-dir', root, '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validateSchema(doc, schema('runs'))).toEqual([]);
    const by = Object.fromEntries(doc.runs.map((x: { scenario: string }) => [x.scenario, x]));
    expect(by.done).toMatchObject({ state: 'finished', runStatus: 'completed', verdict: 'pass', leftApplied: [] });
    expect(by.crash).toMatchObject({ state: 'crashed', leftApplied: [{ id: 'c1', description: 'scale deployment/db to 0' }] });
    expect(by.crash.verdict).toBeUndefined();
    expect(by.live).toMatchObject({ state: 'running' });
    const text = cli(['runs', '--report-dir', root]).stdout;
    expect(text).toMatch(/r-crash\s+crash\s+.*crashed\s+-\s+1: scale deployment\/db to 0/);
    expect(text).toMatch(/left changes applied: gauntlet recover .*crashed/);
  });
});

describe('gauntlet report -o json', () => {
  it('prints report.json (not Markdown), valid against its schema', () => {
    const root = fixture();
    const r = cli(['report', join(root, 'finished'), '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, runId: 'r-done', verdict: 'pass' });
    expect(validateSchema(doc, JSON.parse(readFileSync('reports/schema/report.schema.json', 'utf8')))).toEqual([]);
  });
});

describe('gauntlet watch', () => {
  it('--once: phase, running steps, live numbers and gate states of a live run', () => {
    const root = fixture();
    const r = cli(['watch', join(root, 'live'), '--once', '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validateSchema(doc, schema('watch'))).toEqual([]);
    expect(doc).toMatchObject({ state: 'running', phase: 'before', activeSteps: ['probe'], totals: { requests: 20, failures: 10 } });
    expect(doc.gates[0]).toMatchObject({ name: 'errors', verdict: 'fail', observed: 0.5 });
    expect(doc.verdict).toBeUndefined();
  });

  it('follows a live run until it ends, then exits with its verdict', async () => {
    const root = fixture();
    const dir = join(root, 'live');
    const child = spawn(process.execPath, ['cli/main.ts', 'watch', dir, '--interval', '0.3', '-o', 'json'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let firstUpdate: () => void;
    const first = new Promise<void>((r) => (firstUpdate = r));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) firstUpdate();
    });
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await first; // the run ends only after watch has seen it running
    appendFileSync(join(dir, 'journal.ndjson'), ev(3000, { type: 'step.end', step: 'probe', ok: true }) + '\n' + ev(3001, { type: 'run.end', status: 'completed' }) + '\n');
    const timer = setTimeout(() => child.kill(), 15_000);
    expect(await code).toBe(1);
    clearTimeout(timer);
    const docs = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(docs[0].state).toBe('running');
    expect(docs.at(-1)).toMatchObject({ state: 'finished', verdict: 'fail', activeSteps: [] });
    for (const d of docs) expect(validateSchema(d, schema('watch'))).toEqual([]);
  });

  it('a directory without a journal is a usage error', () => {
    const r = cli(['watch', tmpdir()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no journal\.ndjson here/);
  });
});
