/**
 * The lab's one door to child processes: short commands through zx, long-lived daemons spawned
 * detached with a pidfile and a log file under the lab's state dir.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';

const q = $({ quiet: true, verbose: false });

/** Run a command; throws with its stderr when it exits non-zero. `env` adds variables for that command. */
export async function run(cmd: string, args: readonly string[], input?: string, env?: Record<string, string>): Promise<string> {
  const o = { ...(input === undefined ? {} : { input }), ...(env === undefined ? {} : { env: { ...process.env, ...env } }) };
  return (await q(o)`${cmd} ${args}`).stdout;
}

/** Run a command and report success instead of throwing (for idempotent teardown steps). */
export async function tryRun(cmd: string, args: readonly string[], env?: Record<string, string>): Promise<boolean> {
  const o = env === undefined ? {} : { env: { ...process.env, ...env } };
  return (await q(o)`${cmd} ${args}`.nothrow()).exitCode === 0;
}

/** Run a command inside a lab network namespace (network only: mounts stay shared). */
export function inNetns(netns: string | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  return netns === undefined ? [cmd, [...args]] : ['nsenter', [`--net=/run/netns/${netns}`, '--', cmd, ...args]];
}

export interface Daemon {
  name: string;
  cmd: string;
  args: string[];
  netns?: string;
  env?: Record<string, string>;
}

export function runDir(state: string): string {
  return join(state, 'run');
}

/** Start a daemon detached from this process; returns its pid (nsenter execs, so it is the daemon's). */
export function startDaemon(state: string, d: Daemon): number {
  mkdirSync(runDir(state), { recursive: true });
  mkdirSync(join(state, 'logs'), { recursive: true });
  const log = openSync(join(state, 'logs', `${d.name}.log`), 'a');
  const [cmd, args] = inNetns(d.netns, d.cmd, d.args);
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...d.env },
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${d.name}`);
  writeFileSync(join(runDir(state), `${d.name}.pid`), `${child.pid}\n`);
  return child.pid;
}

export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

export interface DaemonState {
  name: string;
  pid: number;
  alive: boolean;
}

/** Daemons by pidfile; a pid counts as alive only if its command line still mentions the daemon. */
export function daemons(state: string): DaemonState[] {
  let files: string[] = [];
  try {
    files = readdirSync(runDir(state)).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  return files.map((f) => {
    const name = f.slice(0, -4);
    const pid = Number(readFileSync(join(runDir(state), f), 'utf8').trim());
    const cl = cmdline(pid);
    return { name, pid, alive: cl !== undefined && cl.length > 0 };
  });
}

/** Every process whose command line mentions the lab state dir: ours even after a crash of `up`. */
export function strayProcesses(state: string, extraMarkers: string[] = []): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cl = cmdline(pid);
    if (cl !== undefined && [state, ...extraMarkers].some((m) => cl.includes(m))) out.push({ pid, cmd: cl });
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Missing processes are fine. */
export async function stopPids(pids: number[], graceMs = 5000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* raced */
    }
  }
}

export function stopDaemon(state: string, name: string, graceMs = 5000): Promise<void> {
  const d = daemons(state).find((x) => x.name === name);
  rmSync(join(runDir(state), `${name}.pid`), { force: true });
  return d?.alive ? stopPids([d.pid], graceMs) : Promise.resolve();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` every `everyMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
}
