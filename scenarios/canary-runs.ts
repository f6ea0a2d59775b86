/**
 * `gauntlet canary run`: a canary release under constant k6 load, as a two-step scenario built in
 * memory (load from t = 0, the canary a few seconds later so stable's version is known first).
 */
import type { GauntletOptions } from '../core/options.ts';
import type { Scenario, StepParamsByKind } from '../core/scenario.ts';
import { UsageError } from '../core/errors.ts';
import { stepKind } from '../core/steps.ts';
import { runScenario, type RunResult } from './runner.ts';
import './kinds.ts';

export interface CanaryRunOptions {
  options: GauntletOptions;
  /** deployment/<name> */
  workload: string;
  namespace?: string;
  context?: string;
  /** URL the load requests (the Service). */
  url: string;
  /** Load rate, req/s. */
  rate: number;
  /** Upper bound of the whole run, ms. */
  durationMs: number;
  /** The canary step's own fields (image, env, args, manifest, steps, thresholds, ...). */
  canary: Record<string, unknown>;
  signal?: AbortSignal;
}

const LEAD_MS = 5_000;

/** Pure: the scenario a canary run is. Throws UsageError on bad canary fields. */
export function canaryRunScenario(o: Omit<CanaryRunOptions, 'options' | 'signal'>): Scenario {
  const [kind, name] = o.workload.split('/');
  if (!kind || !name || kind.toLowerCase() !== 'deployment') throw new UsageError(`--workload: expected deployment/<name>, got "${o.workload}"`);
  const parsed = stepKind('canary')!.params.safeParse(o.canary);
  if (!parsed.success) throw new UsageError(`canary: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  const file = '<canary>';
  return {
    name: `canary-${name}`,
    file,
    target: { url: o.url, workload: { kind: 'Deployment', name }, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.context ? { context: o.context } : {}) },
    duration: o.durationMs,
    seed: 0,
    steps: [
      {
        id: 'load',
        kind: 'k6',
        section: 'load',
        at: 0,
        // A connection per request: the Service's replica ratio is then the traffic split.
        params: { url: o.url, profile: { kind: 'constant', rate: o.rate, duration: Math.max(1000, o.durationMs - 2000) }, env: { K6_NO_CONNECTION_REUSE: 'true' }, stopOnBreach: false },
        source: { file },
      },
      { id: 'canary', kind: 'canary', section: 'release', at: LEAD_MS, params: parsed.data as StepParamsByKind['canary'], source: { file } },
    ],
    gates: [],
  };
}

export async function runCanary(o: CanaryRunOptions): Promise<RunResult> {
  return runScenario({ scenario: canaryRunScenario(o), options: o.options, ...(o.signal ? { signal: o.signal } : {}) });
}
