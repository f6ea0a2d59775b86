/** The one door to child processes: bounded in time, never inheriting stdin. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { InfraError } from './errors.ts';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
}

/** Run argv to completion. A missing program is an InfraError; a non-zero exit is a result. */
export function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('exec: empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv | undefined,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
      signal: opts.signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new InfraError(`${cmd}: command not found`, { hint: `install ${cmd} or put it on PATH` }));
      else if (e.name === 'AbortError') resolve({ code: null, signal: 'SIGTERM', stdout, stderr });
      else reject(e);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // the child may exit before reading its input
      child.stdin.end(opts.input);
    }
  });
}

/** Run and require exit 0; the error carries stderr's last lines. */
export async function execOk(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(argv, opts);
  if (r.code !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${argv.join(' ')} exited ${r.code ?? r.signal}${tail ? `: ${tail}` : ''}`);
  }
  return r;
}

/** Sleep that ends early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];
let setprivPath: string | null | undefined;

/**
 * argv prefix that makes a long-lived child die with Gauntlet, even on SIGKILL: util-linux
 * `setpriv --pdeathsig KILL` sets the kernel's parent-death signal and execs the program (same
 * pid). Empty where setpriv is missing (not Linux): then only `recover` can stop survivors,
 * from the journal's process.start events.
 */
export function dieWithParentPrefix(): string[] {
  if (setprivPath === undefined) setprivPath = SETPRIV.find((p) => existsSync(p)) ?? null;
  return setprivPath ? [setprivPath, '--pdeathsig', 'KILL', '--'] : [];
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot),
 * which tells a process from a later one that reused its pid. undefined when it is gone.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[22 - 3]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` started at `startTicks` is still running (pid reuse excluded). */
export function processAlive(pid: number, startTicks: number | undefined): boolean {
  const now = processStartTicks(pid);
  if (now === undefined) return false;
  return startTicks === undefined || now === startTicks;
}

/**
 * Stop a process that outlived its run: SIGTERM, then SIGKILL after `graceMs`. Only when pid
 * and start time still match, so a reused pid is never signalled. Resolves what happened.
 */
export async function stopProcess(pid: number, startTicks: number | undefined, graceMs = 3000): Promise<'stopped' | 'gone'> {
  if (!processAlive(pid, startTicks)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  for (let waited = 0; waited < graceMs; waited += 100) {
    await sleep(100);
    if (!processAlive(pid, startTicks)) return 'stopped';
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  for (let i = 0; i < 50 && processAlive(pid, startTicks); i++) await sleep(100);
  return 'stopped';
}
