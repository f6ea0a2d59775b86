/**
 * The one inject -> wait -> revert loop every fault shares. A fault only says how to inject
 * itself into one target and what undoing it means (as data, for crash recovery); scheduling,
 * fault windows in the journal and reverting live here, once.
 */
import type { z } from 'zod';
import type { Change } from '../core/changes.ts';
import { formatDuration } from '../core/duration.ts';
import { sleep } from '../core/proc.ts';
import type { StepKindName, StepOf, StepParamsByKind } from '../core/scenario.ts';
import { registerStep, type StepContext, type StepKind } from '../core/steps.ts';

export interface FaultKind<P, K extends string = string> {
  kind: K;
  summary: string;
  params: z.ZodType<P>;
  /** Human name of what the fault hits, for plans and the journal. */
  describeTarget(params: P): string;
  /**
   * Inject: return the change (with its revert data) and the function that makes it. `make`
   * resolves `{ ineffective }` when the fault never took effect (then no window opens), or
   * `{ onset }` when it knows the run-clock moment it took effect. Otherwise the window opens
   * when `make` returned, and the time `make` ran is in no phase (a command may act at any
   * point while it runs).
   */
  inject(ctx: StepContext<P>): Promise<{ change: Change; make: () => Promise<void | { ineffective: string } | { onset: number }> }>;
  /** Extra dry-run lines. */
  plan?(step: StepOf<P>): string[];
  /** What it would hit in the cluster now, for `plan` (see StepKind.targets). */
  targets?: StepKind<P>['targets'];
  /** Cross-field checks at validate time (see StepKind.check). */
  check?: StepKind<P>['check'];
  needsCluster?: boolean;
  /**
   * What ending the fault means, for plans: "then reverted" for a fault that is undone (command);
   * a pod kill is not undone (its controller replaces the pods) and says so here.
   */
  endMeaning?: string;
  /** Figures the fault records (see StepKind.produces); faults record no traffic. */
  figures?: string[];
  /**
   * Watch the target while the fault is in effect (e.g. measure recovery) and record figures.
   * Runs from the fault's onset until the window closes; must honour ctx.signal.
   */
  observe?(ctx: StepContext<P>, window: AbortSignal): Promise<void>;
}

export function registerFault<K extends StepKindName>(fault: FaultKind<StepParamsByKind[K], K>): void {
  registerStep<K>({
    kind: fault.kind,
    sections: ['faults'],
    summary: fault.summary,
    params: fault.params,
    ...(fault.check ? { check: fault.check } : {}),
    ...(fault.needsCluster ? { needsCluster: true } : {}),
    produces: () => ({ traffic: false, labels: [], figures: fault.figures ?? [] }),
    ...(fault.targets ? { targets: fault.targets } : {}),
    plan(step) {
      const when = `at ${formatDuration(step.at)}${step.every ? `, every ${formatDuration(step.every)}` : ''}`;
      const end = fault.endMeaning ?? 'then reverted';
      const held = step.duration !== undefined ? `held ${formatDuration(step.duration)}, ${end}` : `held until the scenario ends, ${end}`;
      return [`${fault.kind} on ${fault.describeTarget(step.params)} ${when}, ${held}`, ...(fault.plan?.(step) ?? [])];
    },
    async run(ctx) {
      const target = fault.describeTarget(ctx.step.params);
      const { change, make } = await fault.inject(ctx);
      ctx.progress(`fault ${ctx.step.id}: ${change.description}`);
      let id: string | undefined;
      let started = false;
      try {
        let began = ctx.clock.now();
        const made = await ctx.changes.apply(ctx.step.id, change, async () => {
          id = ctx.changes.outstanding.at(-1);
          began = ctx.clock.now();
          return make();
        });
        if (made && 'ineffective' in made) {
          ctx.journal.append({ type: 'fault.ineffective', step: ctx.step.id, kind: fault.kind, target, reason: made.ineffective });
          ctx.progress(`fault ${ctx.step.id}: never took effect: ${made.ineffective}`);
          return;
        }
        // The window opens once the fault is in effect (onset), not when it was asked for.
        const onset = made && 'onset' in made ? made.onset : undefined;
        ctx.journal.append({ type: 'fault.start', step: ctx.step.id, kind: fault.kind, target, ...(onset !== undefined ? { t: onset } : { asked: began }) });
        started = true;
        const window = new AbortController();
        const watching = fault.observe?.(ctx, window.signal).catch((e: Error) => {
          ctx.journal.append({ type: 'log', level: 'warn', step: ctx.step.id, msg: `observing ${target}: ${e.message}` });
        });
        await sleep(ctx.deadline - ctx.clock.now(), ctx.signal);
        window.abort();
        await watching;
      } finally {
        // A failed revert stays outstanding and is reported by the runner (exit 4).
        const failed = id ? await ctx.changes.revertOne(id) : undefined;
        // ...and closes once the revert has completed.
        if (started) ctx.journal.append({ type: 'fault.end', step: ctx.step.id });
        ctx.progress(`fault ${ctx.step.id}: ${failed ? `REVERT FAILED: ${failed.error}` : 'reverted'}`);
        if (failed) throw new Error(`revert failed: ${failed.error}`);
      }
    },
  });
}
