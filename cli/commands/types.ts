import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.ts';

/** A CLI command: flags are declared here (cheap); the handler lazily imports the library. */
export interface CommandSpec<A = Record<string, unknown>> {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the process exit code. */
  handler: (args: A & GlobalArgs) => Promise<number>;
}

export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}
