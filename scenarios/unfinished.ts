/** Runs in a report directory that never finished (crashed or killed, not still going): they may have left changes. */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { liveRunLock } from '../core/runlock.ts';

const TAIL_BYTES = 8192;

export function unfinishedRuns(reportDir: string, limit = 50): string[] {
  if (!existsSync(reportDir)) return [];
  const dirs = readdirSync(reportDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(reportDir, d.name, 'journal.ndjson')))
    .map((d) => d.name)
    .sort()
    .slice(-limit);
  return dirs
    .filter((name) => {
      // A run still going (its lock's process alive) has not crashed.
      if (liveRunLock(join(reportDir, name))) return false;
      const file = join(reportDir, name, 'journal.ndjson');
      const size = statSync(file).size;
      // An empty journal (a run that never started) cannot have changed anything.
      if (size === 0) return false;
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(Math.min(TAIL_BYTES, size));
        readSync(fd, buf, 0, buf.length, size - buf.length);
        const tail = buf.toString('utf8');
        return !tail.includes('"type":"run.end"') && !tail.includes('"recover: done"');
      } finally {
        closeSync(fd);
      }
    })
    .map((name) => join(reportDir, name));
}
