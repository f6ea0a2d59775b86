/**
 * The one door to the k6 process: find a usable binary, check its version, run it, stop it.
 *
 * k6 is a separate, unmodified program (AGPL-3.0; Gauntlet never links or ships it, ADR 0006).
 * Live metrics leave it through its built-in `experimental-prometheus-rw` output, pushed to a
 * receiver inside Gauntlet (loadtest/receiver.ts); k6's stdout and stderr stay its own.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { InfraError } from '../core/errors.ts';
import type { GauntletOptions } from '../core/options.ts';
import { dieWithParentPrefix, processStartTicks } from '../core/proc.ts';

const run = promisify(execFile);

/** Oldest k6 Gauntlet drives: every feature it uses (remote-write native histograms, stale markers, --summary-export, --address "") is in v1.1.0. */
export const K6_MIN_VERSION = [1, 1] as const;
export const K6_INSTALL_HINT =
  'install k6 v1.1+ from Grafana (apt/rpm repository, Homebrew, the grafana/k6 image or a release archive) and put it on PATH, or pass --k6 PATH / set GAUNTLET_K6; in this repository, `bash scripts/tools/install-k6.sh`';

export interface K6Binary {
  path: string;
  /** e.g. v1.1.0 */
  version: string;
  /** The first line of `k6 version`, for provenance. */
  versionText: string;
}

type FindOptions = Pick<GauntletOptions, 'cacheDir' | 'env' | 'k6'>;

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Candidates in order: --k6 / $GAUNTLET_K6 (options.k6, alone when given), the Gauntlet cache, then PATH. */
export function k6Candidates(options: FindOptions): string[] {
  if (options.k6) return [options.k6];
  const out = [join(options.cacheDir, 'bin', 'k6')];
  for (const dir of (options.env.PATH ?? '').split(delimiter)) if (dir) out.push(join(dir, 'k6'));
  return [...new Set(out)];
}

export function parseK6Version(text: string): { version: string; major: number; minor: number } | undefined {
  const m = /k6 v(\d+)\.(\d+)\.(\d+)\S*/.exec(text);
  if (!m) return undefined;
  return { version: m[0].slice(3), major: Number(m[1]), minor: Number(m[2]) };
}

export function supported(v: { major: number; minor: number }): boolean {
  const [M, m] = K6_MIN_VERSION;
  return v.major > M || (v.major === M && v.minor >= m);
}

const found = new Map<string, K6Binary>();

/** The k6 to use: the first candidate of a supported version. */
export async function findK6(options: FindOptions): Promise<K6Binary> {
  const candidates = k6Candidates(options);
  const key = candidates.join(delimiter);
  const cached = found.get(key);
  if (cached) return cached;
  const rejected: string[] = [];
  for (const path of candidates) {
    if (!executable(path)) {
      if (options.k6) rejected.push(`${path}: not an executable file`);
      continue;
    }
    try {
      const { stdout } = await run(path, ['version'], { timeout: 10_000 });
      const v = parseK6Version(stdout);
      if (!v) rejected.push(`${path}: cannot read its version`);
      else if (!supported(v)) rejected.push(`${path}: ${v.version} is older than v${K6_MIN_VERSION.join('.')}`);
      else {
        const bin = { path, version: v.version, versionText: stdout.split('\n')[0]!.trim() };
        found.set(key, bin);
        return bin;
      }
    } catch (e) {
      rejected.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const where = options.k6 ? '' : ' (looked in the Gauntlet cache and on PATH)';
  throw new InfraError(`no usable k6 found${rejected.length ? `:\n  ${rejected.join('\n  ')}` : where}`, { hint: K6_INSTALL_HINT });
}

/** The environment that turns on the live channel: native histograms pushed every 250 ms to `url`. */
export function remoteWriteEnv(url: string, pushIntervalMs: number, systemTags: readonly string[]): Record<string, string> {
  return {
    K6_PROMETHEUS_RW_SERVER_URL: url,
    K6_PROMETHEUS_RW_PUSH_INTERVAL: `${pushIntervalMs}ms`,
    K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'true',
    K6_PROMETHEUS_RW_STALE_MARKERS: 'true',
    K6_SYSTEM_TAGS: systemTags.join(','),
    K6_NO_USAGE_REPORT: 'true',
  };
}

export interface K6Run {
  bin: K6Binary;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Aborting sends SIGINT (k6 stops gracefully, runs teardown), then SIGKILL after killAfterMs. */
  signal?: AbortSignal;
  killAfterMs?: number;
  /** Right after spawn: the pid and its kernel start time, to journal before k6 does anything. */
  onSpawn?: (p: { pid: number; startTicks?: number; command: string }) => void;
  onStderr?: (line: string) => void;
}

export interface K6Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid?: number;
  /** Whether we stopped it (abort signal). */
  stopped: boolean;
  /** The last lines k6 wrote to stderr, for error messages. */
  stderrTail: string[];
  stdout: string;
}

/** Run k6. It is spawned to die with Gauntlet (parent-death signal), so a SIGKILL of Gauntlet stops the load too. */
export function runK6(r: K6Run): Promise<K6Exit> {
  return new Promise((resolve, reject) => {
    const argv = [...dieWithParentPrefix(), r.bin.path, ...r.args];
    const child = spawn(argv[0]!, argv.slice(1), { cwd: r.cwd, env: r.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) {
      const startTicks = processStartTicks(child.pid);
      r.onSpawn?.({ pid: child.pid, ...(startTicks !== undefined ? { startTicks } : {}), command: [r.bin.path, ...r.args].join(' ') });
    }
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
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) => {
      tail.push(l);
      if (tail.length > 50) tail.shift();
      r.onStderr?.(l);
    });
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < 1_000_000) stdout += d.toString();
    });
    child.once('error', (e) => {
      r.signal?.removeEventListener('abort', stop);
      reject(new InfraError(`cannot start k6 (${r.bin.path}): ${e.message}`, { hint: K6_INSTALL_HINT }));
    });
    child.once('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      r.signal?.removeEventListener('abort', stop);
      resolve({ code, signal, ...(child.pid !== undefined ? { pid: child.pid } : {}), stopped, stderrTail: tail, stdout });
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
