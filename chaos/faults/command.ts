/**
 * command: a fault you bring. Runs one command to inject and another to revert (e.g. scale a
 * dependency to zero and back). The revert command is journaled before the inject runs.
 */
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { execOk } from '../../core/proc.ts';
import { REDACTED } from '../../core/redact.ts';
import { registerFault } from '../fault.ts';

const argv = z.array(z.string().min(1)).min(1, 'expected a command as a list of words, e.g. ["kubectl", "scale", ...]');
const params = z.strictObject({
  run: argv,
  revert: argv,
  /** What the command hits, for the timeline (default: the command itself). */
  target: z.string().optional(),
  timeout: z.number().int().positive().max(600).default(60),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'command': Params;
  }
}


registerReverter(
  'command',
  async (spec) => {
    const argv = spec.argv as string[];
    if (argv.some((a) => a.includes(REDACTED))) {
      throw new Error(`the revert command held a secret, so the journal keeps it redacted: run it yourself (${argv.join(' ')})`);
    }
    await execOk(spec.argv as string[], { timeoutMs: ((spec.timeout as number) ?? 60) * 1000 });
  },
  { runsCommands: true },
);

registerFault({
  kind: 'command',
  summary: 'run a command to inject a fault and another to revert it',
  params,
  describeTarget: (p) => p.target ?? p.run.join(' '),
  plan: (step) => [`  inject: ${step.params.run.join(' ')}`, `  revert: ${step.params.revert.join(' ')}`],
  async inject(ctx) {
    const p = ctx.step.params;
    return {
      change: { description: `${p.run.join(' ')} (revert: ${p.revert.join(' ')})`, revert: { kind: 'command', argv: p.revert, timeout: p.timeout } },
      make: async () => {
        await execOk(p.run, { timeoutMs: p.timeout * 1000 });
      },
    };
  },
});
