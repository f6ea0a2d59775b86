/** Every CLI command, in `--help` order. Adding a command is adding a file and a line. */
import type { CommandSpec } from './types.ts';
import { plan, run, validate } from './scenario.ts';
import { recover, report, verify } from './runs.ts';
import { policies } from './policies.ts';
import { load } from './load.ts';
import { lab } from './lab.ts';
import { version } from './version.ts';
import { runs, watch } from './follow.ts';
import { canary } from './canary.ts';
import { demo } from './demo.ts';

export const commands: CommandSpec<any>[] = [demo, run, validate, plan, report, verify, recover, runs, watch, load, canary, lab, policies, version];
