/**
 * k6 under Gauntlet against real local servers: what k6 measures through the live channel
 * must match what the server did. Needs k6 v1.1+ (scripts/tools/install-k6.sh installs it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '../../core/analysis.ts';
import { InfraError, InputError } from '../../core/errors.ts';
import type { ProcessStart } from '../../core/events.ts';
import { defaultOptions } from '../../core/options.ts';
import { dieWithParentPrefix } from '../../core/proc.ts';
import { runLoad } from '../../scenarios/load-runs.ts';
import { deadPort, failingServer, slowServer, type TestServer } from './load-servers.ts';
import { runGauntlet } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-load-'));
const options = defaultOptions(process.env, { reportDir: dir, progress: (l) => process.env.GAUNTLET_TEST_VERBOSE && console.error(l) });

describe('load run: accuracy of live windows', () => {
  let failing: TestServer;
  let slow: TestServer;
  beforeAll(async () => {
    failing = await failingServer();
    slow = await slowServer(100);
  });
  afterAll(async () => {
    await failing.close();
    await slow.close();
  });

  it('a server failing 5% of requests measures 5% ± 0.5%, split by version', async () => {
    const r = await runLoad({ options, url: failing.url, profile: { kind: 'constant', rate: 200, duration: '8s' }, expectedLatencyMs: 5 });
    const all = aggregate(r.events, { step: 'load' });
    expect(all.requests).toBeGreaterThan(1500);
    expect(all.requests).toBe(failing.served());
    expect(all.errorRate!).toBeGreaterThan(0.045);
    expect(all.errorRate!).toBeLessThan(0.055);
    const v1 = aggregate(r.events, { step: 'load', where: { version: 'v1' } });
    const v2 = aggregate(r.events, { step: 'load', where: { version: 'v2' } });
    expect(v1.requests + v2.requests).toBe(all.requests);
    expect(Math.abs(v1.requests - v2.requests)).toBeLessThanOrEqual(1);
    expect(v1.failures).toBe(0); // every 20th request is even: all failures are v2's
    expect(r.events.filter((e) => e.type === 'window').length).toBeGreaterThanOrEqual(8);
  });

  it("reconciles the live windows with k6's own end-of-test totals, and names the failure cause", async () => {
    const before = failing.served();
    const r = await runLoad({ options, url: failing.url, profile: { kind: 'constant', rate: 100, duration: '4s' }, expectedLatencyMs: 5 });
    const windows = r.events.filter((e) => e.type === 'window');
    const failures = windows.reduce((a, w) => a + w.failures, 0);
    expect(windows.reduce((a, w) => a + w.requests, 0)).toBe(failing.served() - before);
    expect(windows.reduce((a, w) => a + (w.causes?.['http-5xx'] ?? 0), 0)).toBe(failures);
    const totals = r.events.find((e) => e.type === 'mark' && e.label === 'k6 totals');
    expect(totals?.type === 'mark' && totals.data).toMatchObject({ windows: { requests: failing.served() - before, failures }, summary: { requests: failing.served() - before, failures } });
    expect((totals as { data?: { mismatch?: unknown } }).data?.mismatch).toBeUndefined();
    const started = r.events.find((e) => e.type === 'process.start');
    expect(started).toMatchObject({ type: 'process.start', step: 'load', command: expect.stringContaining(' run ') });
    expect(r.events.some((e) => e.type === 'process.end' && started?.type === 'process.start' && e.pid === started.pid)).toBe(true);
  });

  it('a server adding 100 ms measures p50 ≈ 100 ms', async () => {
    const r = await runLoad({ options, url: slow.url, profile: { kind: 'constant', rate: 100, duration: '6s' }, expectedLatencyMs: 100 });
    const all = aggregate(r.events, { step: 'load' });
    expect(all.requests).toBeGreaterThan(500);
    const p50 = all.latency.quantile(0.5)!;
    expect(p50).toBeGreaterThanOrEqual(100);
    expect(p50).toBeLessThan(106);
    expect(r.verdict.reasons.join()).not.toContain('fell short');
  });

  it('a hard gate stops the load early and fails the run', async () => {
    const started = performance.now();
    const r = await runLoad({
      options,
      url: slow.url,
      profile: { kind: 'constant', rate: 20, duration: '60s' },
      gates: [{ name: 'p50 under 50 ms', metric: 'latency_p50', max: 50, abortOnFail: true }],
      expectedLatencyMs: 100,
    });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(r.verdict.verdict).toBe('fail');
    expect(r.verdict.gates[0]).toMatchObject({ name: 'p50 under 50 ms', verdict: 'fail' });
  });

  it('runs a k6 script unchanged; its thresholds become gates', async () => {
    const r = await runLoad({ options, script: 'loadtest/scripts/smoke.ts', env: { TARGET_URL: slow.url } });
    expect(r.scriptGates.map((g) => g.metric).sort()).toEqual(['error_rate', 'latency_p95']);
    expect(r.verdict.gates.map((g) => g.verdict)).toEqual(['pass', 'pass']);
    expect(aggregate(r.events, { step: 'load', where: { stage: 'default' } }).requests).toBeGreaterThan(20);
  });
});

describe('a scenario with a k6 step: one gate set, one verdict', () => {
  it("the script's thresholds are journaled in run.start, and report.json, JUnit and the exit code agree", async () => {
    const failing = await failingServer();
    try {
      const file = join(dir, 'k6-scenario.yaml');
      writeFileSync(file, `name: k6-thresholds\nduration: 60s\nload:\n  - kind: k6\n    name: load\n    script: ${join(process.cwd(), 'loadtest/scripts/smoke.ts')}\n    env: {TARGET_URL: "${failing.url}"}\n`);
      const r = await runGauntlet(['run', file, '--report-dir', join(dir, 'k6-runs'), '-o', 'json']);
      expect(r.code, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout);
      const start = JSON.parse(readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').split('\n')[0]!);
      expect(start.scenario.gates.map((g: { metric: string }) => g.metric).sort()).toEqual(['error_rate', 'latency_p95']);
      const report = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
      expect(report.verdict).toBe('fail');
      expect(out.verdict).toBe('fail');
      expect(report.gates.find((g: { metric: string }) => g.metric === 'error_rate').verdict).toBe('fail');
      expect(readFileSync(join(out.runDir, 'junit.xml'), 'utf8')).toMatch(/<testcase[^>]*name="k6: http_req_failed[^"]*"[^>]*>\s*<failure/);
    } finally {
      await failing.close();
    }
  });
});

describe('load run: bad input and dead targets', () => {
  it('a script that does not compile is an input error at its position', async () => {
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, "import http from 'k6/http';\n\nexport default function () {\n  http.get('http://127.0.0.1:1/' +);\n}\n");
    const e = await runLoad({ options, script: bad }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).exitCode).toBe(2);
    expect((e as InputError).issues[0]).toMatchObject({ file: bad, line: 4 });
  });

  it('an unreachable target is an infrastructure error naming the address', async () => {
    const url = await deadPort();
    const e = await runLoad({ options, url, profile: { kind: 'constant', rate: 10, duration: '2s' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InfraError);
    expect((e as InfraError).exitCode).toBe(3);
    expect((e as Error).message).toContain(new URL(url).host);
  });
});

describe('load run: k6 dies with Gauntlet', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await slowServer(1);
  });
  afterAll(async () => server.close());

  it('a SIGKILL of gauntlet stops its k6 child within a couple of seconds (journaled as process.start)', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'gauntlet-kill-'));
    const cli = spawn(process.execPath, ['cli/main.ts', 'load', 'run', '--url', server.url, '--profile', 'constant', '--rate', '20', '--duration', '60s', '--report-dir', reportDir], { stdio: 'ignore' });
    let k6: ProcessStart | undefined;
    try {
      for (let i = 0; i < 150 && !k6; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const run = readdirSync(reportDir)[0];
        const journal = run ? join(reportDir, run, 'journal.ndjson') : undefined;
        if (journal && existsSync(journal)) {
          k6 = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProcessStart).find((e) => e.type === 'process.start');
        }
      }
      expect(k6).toMatchObject({ type: 'process.start', step: 'load', startTicks: expect.any(Number) });
      expect(alive(k6!.pid)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // the load is running
      const before = server.served();
      cli.kill('SIGKILL');
      let gone = false;
      for (let i = 0; i < 30 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = !alive(k6!.pid);
      }
      expect(gone).toBe(true);
      expect(before).toBeGreaterThan(0);
    } finally {
      cli.kill('SIGKILL');
      if (k6 && alive(k6.pid)) process.kill(k6.pid, 'SIGKILL');
    }
  });
});

describe('child processes die with their parent', () => {
  it('a program spawned through dieWithParentPrefix is killed by the kernel when its parent is SIGKILLed, whatever its stdio', async () => {
    // The parent: a node process that starts `sleep 60` (stdio ignored, so no broken pipe can end it) and prints its pid.
    const code = `const { spawn } = require('node:child_process'); const argv = [...${JSON.stringify(dieWithParentPrefix())}, 'sleep', '60']; const c = spawn(argv[0], argv.slice(1), { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((ok) => parent.stdout!.once('data', (d: Buffer) => ok(Number(d.toString().trim()))));
    try {
      expect(alive(pid)).toBe(true);
      parent.kill('SIGKILL');
      let gone = false;
      for (let i = 0; i < 30 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = !alive(pid);
      }
      expect(gone).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Running (a zombie waiting for its reaper counts as gone: it sends nothing). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
