/**
 * The one interrupt handler (Ctrl-C and SIGTERM), at the CLI edge. The first signal asks the
 * command to stop and revert what it changed; any later one only says that cleanup is still
 * running: it never skips it (an abandoned revert leaves the cluster changed). Kill the process
 * (SIGKILL) to abandon cleanup; `gauntlet recover <run-dir>` finishes it afterwards.
 */
export interface Interrupt {
  /** Aborted on the first Ctrl-C or SIGTERM. */
  signal: AbortSignal;
  /** Stop listening (call in `finally`). */
  done(): void;
}

export function onInterrupt(what = 'stopping and reverting'): Interrupt {
  const stop = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      process.stderr.write(`\n${sig}: ${what}; please wait\n`);
      stop.abort();
    } else process.stderr.write(`\n${sig}: still cleaning up, not skipping it (SIGKILL abandons it; \`gauntlet recover <run-dir>\` finishes it later)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: stop.signal,
    done: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
