/** `gauntlet load ...` as a user types it: flags become profiles and gates, bad values are exit 2, --dry-run runs nothing. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowServer, statusServer, type TestServer } from './load-servers.ts';

/** The CLI as a child process (async: the test servers live in this process and must keep answering). */
function gauntlet(args: readonly string[], reportDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ['cli/main.ts', ...args, '--report-dir', reportDir, '--no-color'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('load CLI', () => {
  let failing: TestServer;
  let ok: TestServer;
  beforeAll(async () => {
    failing = await statusServer(500);
    ok = await slowServer(1);
  });
  afterAll(async () => {
    await failing.close();
    await ok.close();
  });

  it('--error-rate and --p99 are gates: a service answering 500 FAILs with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-cli-'));
    const r = await gauntlet(['load', 'run', '--url', failing.url, '--rate', '20', '--duration', '2s', '--error-rate', '0.01', '--p99', '100'], dir);
    expect(r.stdout).toMatch(/FAIL/);
    expect(r.stdout).toMatch(/error rate ≤ 1%/);
    expect(r.stdout).not.toMatch(/No gates were defined/);
    expect(r.code).toBe(1);
    expect(failing.served()).toBeGreaterThan(30);
  });

  it('--url without --profile runs the documented default (constant 10 req/s) for --duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-cli-'));
    const before = ok.served();
    const r = await gauntlet(['load', 'run', '--url', ok.url, '--duration', '3s'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS/);
    expect(ok.served() - before).toBeGreaterThanOrEqual(29);
    expect(ok.served() - before).toBeLessThanOrEqual(31);
  });

  it('--dry-run prints the stages, rates, durations and gates, as JSON with -o json, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-cli-'));
    const before = ok.served();
    const r = await gauntlet(['load', 'run', '--url', ok.url, '--profile', 'steps', '--from', '100', '--step', '50', '--steps', '3', '--step-duration', '10s', '--p99', '200', '--dry-run', '-o', 'json'], dir);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { stages: Array<{ name: string; from: number; duration: number }>; totalMs: number; gates: Array<{ metric: string; max: number }> };
    expect(plan.stages.map((s) => [s.name, s.from, s.duration])).toEqual([['step-1', 100, 10_000], ['step-2', 150, 10_000], ['step-3', 200, 10_000]]);
    expect(plan.totalMs).toBe(30_000);
    expect(plan.gates).toEqual([expect.objectContaining({ metric: 'latency_p99', max: 200 }), expect.objectContaining({ metric: 'error_rate', max: 0.01 })]);
    const text = await gauntlet(['load', 'surge', '--target', ok.url, '--baseline-rps', '10', '--warmup', '2s', '--ramp-up', '2s', '--hold', '10s', '--ramp-down', '0s', '--dry-run'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/surge, 14s of load/);
    expect(text.stdout).not.toMatch(/ramp-down/);
    expect(ok.served()).toBe(before);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('bad flag values are exit 2 with one line naming the flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-cli-'));
    for (const [args, flag] of [
      [['load', 'run', '--url', ok.url, '--duration', '2x'], '--duration'],
      [['load', 'run', '--url', ok.url, '--profile', 'ramp', '--from', '10'], '--to'],
      [['load', 'run', '--url', ok.url, '--rate', '-5'], '--rate'],
      [['load', 'surge', '--target', ok.url, '--baseline-rps', '10', '--hold', 'forever'], '--hold'],
    ] as const) {
      const r = await gauntlet([...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(flag);
      expect(r.stderr).not.toMatch(/ZodError|internal error/);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^error: /);
    }
  });
});
