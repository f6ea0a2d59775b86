/**
 * The one door to the k6 process: find a usable binary, check its version, run it, stop it.
 *
 * Live metrics leave k6 on file descriptor 3 (a pipe), never on stdout/stderr, so k6's own
 * output stays readable and a full pipe cannot mix with logs.
 */
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { InfraError } from '../core/errors.ts';
import type { GauntletOptions } from '../core/options.ts';

const run = promisify(execFile);

export const K6_MIN_MAJOR = 1;
export const K6_INSTALL_HINT = 'run `sh scripts/tools/build-k6.sh` (needs Go 1.25+), or install k6 v1.x on PATH';

export interface K6Binary {
  path: string;
  version: string;
  /** Built with Gauntlet's output (loadtest/k6ext): live windows aggregated inside k6. */
  gauntletOutput: boolean;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Candidates in order: $GAUNTLET_K6, Gauntlet's own build in the cache, then PATH. */
export function k6Candidates(options: Pick<GauntletOptions, 'cacheDir' | 'env'>): string[] {
  const out: string[] = [];
  if (options.env.GAUNTLET_K6) out.push(options.env.GAUNTLET_K6);
  out.push(join(options.cacheDir, 'bin', 'k6'));
  for (const dir of (options.env.PATH ?? '').split(delimiter)) if (dir) out.push(join(dir, 'k6'));
  return [...new Set(out)];
}

export function parseK6Version(text: string): { version: string; major: number; gauntletOutput: boolean } | undefined {
  const m = /k6 v(\d+)\.(\d+)\.(\d+)\S*/.exec(text);
  if (!m) return undefined;
  return { version: m[0].slice(3), major: Number(m[1]), gauntletOutput: /\bgauntlet \[output\]/.test(text) };
}

const found = new Map<string, K6Binary>();

/** The k6 to use: the first candidate of a supported version, preferring one with our output. */
export async function findK6(options: Pick<GauntletOptions, 'cacheDir' | 'env'>): Promise<K6Binary> {
  const key = k6Candidates(options).join(delimiter);
  const cached = found.get(key);
  if (cached) return cached;
  const usable: K6Binary[] = [];
  const rejected: string[] = [];
  for (const path of k6Candidates(options)) {
    if (!executable(path)) continue;
    try {
      const { stdout } = await run(path, ['version'], { timeout: 10_000 });
      const v = parseK6Version(stdout);
      if (!v) rejected.push(`${path}: cannot read its version`);
      else if (v.major < K6_MIN_MAJOR) rejected.push(`${path}: ${v.version} is older than v${K6_MIN_MAJOR}`);
      else usable.push({ path, version: v.version, gauntletOutput: v.gauntletOutput });
    } catch (e) {
      rejected.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const best = usable.find((b) => b.gauntletOutput) ?? usable[0];
  if (!best) {
    throw new InfraError(`no usable k6 found${rejected.length ? `:\n  ${rejected.join('\n  ')}` : ' (looked in the Gauntlet cache and on PATH)'}`, {
      hint: K6_INSTALL_HINT,
    });
  }
  found.set(key, best);
  return best;
}

export interface K6Run {
  bin: K6Binary;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Aborting sends SIGINT (k6 stops gracefully, runs teardown), then SIGKILL after killAfterMs. */
  signal?: AbortSignal;
  killAfterMs?: number;
  /** One line of the live-metrics channel (fd 3). */
  onMetrics: (line: string) => void;
  /** Where the metrics lines come from: fd 3 (our output) or stdout (stock `--out json=-`). */
  metricsFrom?: 'fd3' | 'stdout';
  onStderr?: (line: string) => void;
}

export interface K6Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether we stopped it (abort signal). */
  stopped: boolean;
  /** The last lines k6 wrote to stderr, for error messages. */
  stderrTail: string[];
  stdout: string;
}

export function runK6(r: K6Run): Promise<K6Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.bin.path, r.args, { cwd: r.cwd, env: r.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let stdout = '';
    let stopped = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), r.killAfterMs ?? 10_000);
    };
    if (r.signal?.aborted) stop();
    r.signal?.addEventListener('abort', stop, { once: true });

    const fromStdout = r.metricsFrom === 'stdout';
    const metrics = (fromStdout ? child.stdout : child.stdio[3]) as NodeJS.ReadableStream;
    const lines = createInterface({ input: metrics, crlfDelay: Infinity });
    lines.on('line', (l) => r.onMetrics(l));
    const metricsDone = new Promise<void>((res) => lines.once('close', () => res()));
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) => {
      tail.push(l);
      if (tail.length > 50) tail.shift();
      r.onStderr?.(l);
    });
    if (!fromStdout) {
      child.stdout!.on('data', (d: Buffer) => {
        if (stdout.length < 1_000_000) stdout += d.toString();
      });
    }
    child.once('error', (e) => {
      r.signal?.removeEventListener('abort', stop);
      reject(new InfraError(`cannot start k6 (${r.bin.path}): ${e.message}`, { hint: K6_INSTALL_HINT }));
    });
    child.once('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      r.signal?.removeEventListener('abort', stop);
      void metricsDone.then(() => resolve({ code, signal, stopped, stderrTail: tail, stdout }));
    });
  });
}

/** `k6 inspect`: the script's resolved options, or k6's compile error. */
export async function inspectScript(bin: K6Binary, script: string, env: Record<string, string | undefined>, cwd?: string): Promise<{ ok: true; options: Record<string, unknown> } | { ok: false; message: string }> {
  try {
    const { stdout } = await run(bin.path, ['inspect', script], { env, cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, options: JSON.parse(stdout) as Record<string, unknown> };
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    return { ok: false, message: (err.stderr || err.stdout || err.message).trim() };
  }
}
