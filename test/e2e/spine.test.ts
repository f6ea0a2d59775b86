/**
 * The spine end to end: the CLI runs a probe scenario against a real local server that a fault
 * step breaks for a known window; gates, per-phase error rates and every report come from the
 * journal.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../../reports/schema/validate.ts';
import { runGauntlet } from '../support/cli.ts';
import { startFlakyServer, type FlakyServer } from '../support/flaky-server.ts';

const runCli = (args: string[], opts: { interruptOn?: RegExp; times?: number } = {}) =>
  runGauntlet(args, opts.interruptOn ? { signalOn: { pattern: opts.interruptOn, signal: 'SIGINT', delayMs: 500, times: opts.times ?? 1 } } : {});

const control = (port: number, what: 'break' | 'heal', afterMs = 0) => [process.execPath, '-e', `setTimeout(()=>fetch('http://127.0.0.1:${port}/control/${what}',{method:'POST'}).then(r=>process.exit(r.ok?0:1)),${afterMs})`];

function scenario(dir: string, server: FlakyServer, gates: string, revertMs = 0): string {
  const file = join(dir, 'probe-fault.yaml');
  writeFileSync(
    file,
    `name: probe-fault
target:
  url: ${server.url}
duration: 9s
checks:
  - kind: http-probe
    name: probe
    interval: 50ms
    timeout: 1s
faults:
  - kind: command
    name: break-server
    at: 3s
    duration: 3s
    target: flaky-server
    run: ${JSON.stringify(control(server.port, 'break'))}
    revert: ${JSON.stringify(control(server.port, 'heal', revertMs))}
gates:
${gates}
`,
  );
  return file;
}

describe('probe scenario against a server broken for a known window', () => {
  let server: FlakyServer;
  let dir: string;
  beforeAll(async () => {
    server = await startFlakyServer('v7');
    dir = mkdtempSync(join(tmpdir(), 'gauntlet-e2e-'));
  });
  afterAll(() => server.close());

  it('measures the failure window per phase, fails the right gate, and writes every report', async () => {
    const file = scenario(
      dir,
      server,
      `  - {name: clean-before, metric: error_rate, phase: before, max: 0}
  - {name: clean-after, metric: error_rate, phase: after, max: 2%}
  - {name: survives-fault, metric: error_rate, phase: during, max: 10%}
  - {name: v7-latency, metric: latency_p95, where: {version: v7}, max: 500ms}`,
    );
    const r = await runCli(['run', file, '--report-dir', join(dir, 'runs'), '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.verdict).toBe('fail');
    const byName = Object.fromEntries(out.gates.map((g: { name: string }) => [g.name, g]));
    // One documented document: schema-valid, the verdict flat, thresholds as numbers.
    expect(validateSchema(out, JSON.parse(readFileSync('cli/schema/run.schema.json', 'utf8')))).toEqual([]);
    expect(byName['survives-fault']).toMatchObject({ metric: 'error_rate', unit: 'ratio', max: 0.1 });
    expect(byName['clean-before'].verdict).toBe('pass');
    expect(byName['clean-after'].verdict).toBe('pass');
    // Inside the window every request failed: the during-phase error rate is ~100%.
    expect(byName['survives-fault'].verdict).toBe('fail');
    expect(byName['survives-fault'].observed).toBeGreaterThan(0.9);
    expect(byName['survives-fault'].samples).toBeGreaterThan(40);
    expect(byName['v7-latency'].verdict).toBe('pass');
    // The server was really broken and healed once each, and the change ledger recorded it.
    expect(server.flips.map((f) => f.broken)).toEqual([true, false]);
    const runDir = out.runDir as string;
    for (const f of ['journal.ndjson', 'report.json', 'report.html', 'report.md', 'junit.xml']) expect(existsSync(join(runDir, f)), f).toBe(true);
    const journal = readFileSync(join(runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const types = journal.map((e: { type: string }) => e.type);
    expect(types.indexOf('change.intent')).toBeLessThan(types.indexOf('change.applied'));
    expect(types).toContain('change.reverted');
    const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase[^>]*name="survives-fault[^"]*"[^>]*>\s*<failure/);
    expect(readFileSync(join(runDir, 'report.md'), 'utf8')).toMatch(/survives-fault/);
    // `report` rebuilds the same verdict from the journal alone.
    const rebuilt = await runCli(['report', runDir, '--format', 'json']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/"survives-fault"/);
  }, 60_000);

  it('Ctrl-C stops the run, reverts the fault, and exits 130', async () => {
    const file = scenario(dir, server, '  - {name: any, metric: error_rate, max: 1}');
    server.flips.length = 0;
    const r = await runCli(['run', file, '--report-dir', join(dir, 'runs-int')], { interruptOn: /fault break-server:/ });
    expect(r.code, r.stderr).toBe(130);
    expect(server.broken).toBe(false);
    expect(server.flips.map((f) => f.broken)).toEqual([true, false]);
    const [runId] = readdirSync(join(dir, 'runs-int'));
    const journal = readFileSync(join(dir, 'runs-int', runId!, 'journal.ndjson'), 'utf8');
    expect(journal).toMatch(/"type":"run.end","status":"interrupted"/);
  }, 60_000);

  it('a second Ctrl-C does not skip the revert', async () => {
    const file = scenario(dir, server, '  - {name: any, metric: error_rate, max: 1}', 1500);
    server.flips.length = 0;
    const r = await runCli(['run', file, '--report-dir', join(dir, 'runs-int2')], { interruptOn: /fault break-server:/, times: 3 });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/still cleaning up, not skipping it/);
    expect(server.broken).toBe(false);
    expect(server.flips.map((f) => f.broken)).toEqual([true, false]);
  }, 60_000);

  it('recover undoes a change that a crashed run left applied', async () => {
    // Simulate a crash: a journal whose last word is an applied change with no revert.
    const runDir = join(dir, 'crashed');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(runDir);
    await fetch(`${server.url}control/break`, { method: 'POST' });
    const lines = [
      { v: 1, seq: 0, t: 0, wall: new Date().toISOString(), type: 'run.start', runId: 'crashed', scenario: {}, provenance: { seed: 1 }, epochMs: Date.now() },
      { v: 1, seq: 1, t: 1, wall: new Date().toISOString(), type: 'change.intent', id: 'c1', step: 'break-server', description: 'break the server', revert: { kind: 'command', argv: control(server.port, 'heal'), timeout: 30 } },
      { v: 1, seq: 2, t: 2, wall: new Date().toISOString(), type: 'change.applied', id: 'c1' },
    ];
    writeFileSync(join(runDir, 'journal.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // A journal's commands are shown, and run only when asked.
    const shown = await runCli(['recover', runDir]);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toMatch(/control\/heal/);
    expect(server.broken).toBe(true);
    const r = await runCli(['recover', runDir, '--run-commands']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.broken).toBe(false);
    expect(r.stdout).toMatch(/reverted c1/);
    const again = await runCli(['recover', runDir]);
    expect(again.stdout).toMatch(/nothing to recover/);
  }, 60_000);
});

describe('as a kubectl plugin', () => {
  it('`kubectl gauntlet --help` finds kubectl-gauntlet on PATH and runs it', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, symlinkSync, writeFileSync, chmodSync } = await import('node:fs');
    const cache = process.env.GAUNTLET_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'gauntlet');
    const candidates = [join(cache, 'bin', 'kubectl'), ...((process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')))];
    const kubectl = candidates.find((p) => existsSync(p));
    expect(kubectl, 'kubectl is built by scripts/tools/build-kubernetes.sh').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-plugin-'));
    // The installed package links kubectl-gauntlet to bin/gauntlet.js; do the same with a shim
    // that runs it on this project's Node.
    const shim = join(dir, 'kubectl-gauntlet');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${join(process.cwd(), 'cli/main.ts')}" "$@"\n`);
    chmodSync(shim, 0o755);
    symlinkSync(kubectl!, join(dir, 'kubectl'));
    const r = spawnSync(join(dir, 'kubectl'), ['gauntlet', '--help'], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:/usr/bin:/bin`, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/validate <scenario>/);
  });
});
