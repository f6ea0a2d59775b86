/**
 * Gauntlet as a library: every CLI command is one of these async functions taking an options
 * object. `import { runScenario, loadScenario, defaultOptions } from 'gauntlet'`.
 */
export { ExitCode, GauntletError, InfraError, InputError, RevertError, UsageError, runExitCode, type InputIssue } from './core/errors.ts';
export { defaultOptions, type GauntletOptions } from './core/options.ts';
export { Journal, readJournal, RunClock } from './core/journal.ts';
export type * from './core/events.ts';
export type { Step, StepOf, StepParamsByKind, Scenario } from './core/scenario.ts';
export { evaluateGates, evaluateGate, runVerdict, journaledGates, type GateSpec, type GateResult, type Verdict } from './core/gates.ts';
export { aggregate, faultWindows, perSecondSeries, type Phase } from './core/analysis.ts';
export { Histogram, type HistogramData } from './core/histogram.ts';
export { connect, type Kube } from './core/kube.ts';
export { registerReverter, type Change } from './core/changes.ts';
export { defineScenario, type ScenarioInput } from './scenarios/define.ts';
export { loadScenario } from './scenarios/load.ts';
export { planScenario, type Plan } from './scenarios/plan.ts';
export { runScenario, type RunOptions, type RunResult } from './scenarios/runner.ts';
export { recoverRun, type RecoverOptions, type RecoverResult } from './scenarios/recover.ts';
export { sweepRunMarks } from './chaos/sweep.ts';
export { registerStep, type StepKind, type StepContext } from './core/steps.ts';
export { registerFault, type FaultKind } from './chaos/fault.ts';
export { buildReport, renderReport, writeReports, type Report } from './reports/index.ts';
export { checkPolicies, policyExitCode } from './policies/check.ts';
export { probePolicies, recoverProbes } from './policies/probe.ts';
export { runLoad, surge, capacitySearch, loadRunScenario } from './scenarios/load-runs.ts';
export type { RunLoadOptions, LoadRunResult, SurgeOptions, SurgeResult, CapacityOptions, CapacityResult } from './scenarios/load-runs.ts';
