/**
 * A run's lock: `run.lock` in its run directory holds the pid and start time (field 22 of
 * /proc/<pid>/stat) of the process running it, for the run's lifetime. `recover` and the
 * "unfinished run" warning use it to tell a live run from a crashed one.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, processStartTicks } from './proc.ts';

export const RUN_LOCK = 'run.lock';

export interface RunLockData {
  pid: number;
  startTicks?: number;
  /** Wall-clock start, ISO-8601, for messages. */
  started: string;
}

export function acquireRunLock(runDir: string, pid = process.pid): { release: () => void } {
  const file = join(runDir, RUN_LOCK);
  const data: RunLockData = { pid, ...(processStartTicks(pid) !== undefined ? { startTicks: processStartTicks(pid)! } : {}), started: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(data) + '\n', { flag: 'wx' });
  return { release: () => rmSync(file, { force: true }) };
}

/** The lock of a run still going, or undefined (no lock, or its process is gone). */
export function liveRunLock(runDir: string): RunLockData | undefined {
  let data: RunLockData;
  try {
    data = JSON.parse(readFileSync(join(runDir, RUN_LOCK), 'utf8')) as RunLockData;
  } catch {
    return undefined;
  }
  return typeof data.pid === 'number' && processAlive(data.pid, data.startTicks) ? data : undefined;
}
