/**
 * Run the gauntlet CLI (from source, on this Node) as a user would, and capture what it printed.
 * Asynchronous, so the cases of a file that spawns the CLI many times can run at once
 * (describe.concurrent): their waits (Node's start-up, a refused connection's retries) overlap.
 */
import { spawn } from 'node:child_process';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Send `signal` (after `delayMs`) once stderr matches `pattern`: Ctrl-C or a crash mid-run. */
  signalOn?: { pattern: RegExp; signal: NodeJS.Signals; delayMs?: number; /** Send it this many times, 300 ms apart (a second Ctrl-C). */ times?: number };
  /** Written to the CLI's stdin, which is then closed (`--manifests -`). */
  input?: string;
}

export function runGauntlet(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const s = opts.signalOn;
      if (s && !sent && s.pattern.test(stderr)) {
        sent = true;
        for (let i = 0; i < (s.times ?? 1); i++) setTimeout(() => child.kill(s.signal), (s.delayMs ?? 0) + i * 300);
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(opts.input);
  });
}

